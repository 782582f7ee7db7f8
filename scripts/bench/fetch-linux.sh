#!/usr/bin/env bash
# Fetch Debian's Linux kernel image for the benchmarks into OUTDIR:
#   x86_64   linux-image-amd64   from the machine's own suite (bookworm)
#   riscv64  linux-image-riscv64 from Debian's newer suite carrying riscv64
#            (trixie, then its alias stable)
# The metapackage is resolved to the versioned image package it depends on,
# which is downloaded with `apt-get download` through an isolated apt
# configuration under OUTDIR/apt (scripts/lib/debian-fetch.sh: the machine's
# apt state is never touched, signatures are checked), then unpacked with
# dpkg-deb -x. Nothing is installed.
#
# Output: OUTDIR/vmlinuz (the image QEMU's -kernel takes: bzImage on x86_64,
# the uncompressed RISC-V Image on riscv64) and OUTDIR/version (package name
# and version). A second run with both present does nothing.
#
# Usage: scripts/bench/fetch-linux.sh ARCH OUTDIR
set -euo pipefail

arch=${1:?usage: fetch-linux.sh ARCH OUTDIR}
out=${2:?usage: fetch-linux.sh ARCH OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ -s "$out/vmlinuz" ] && [ -s "$out/version" ] && exit 0

case "$arch" in
x86_64)
	debarch=amd64 meta=linux-image-amd64
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
	suites=("$codename")
	;;
riscv64)
	debarch=riscv64 meta=linux-image-riscv64 suites=(trixie stable)
	;;
*)
	echo "fetch-linux: unknown arch $arch" >&2
	exit 1
	;;
esac

. "$(dirname "$0")/../lib/debian-fetch.sh"

uri=$(debian_mirror_uri) || { echo "fetch-linux: no Debian mirror in /etc/apt sources" >&2; exit 1; }
keyring=$(debian_archive_keyring) || { echo "fetch-linux: no Debian archive keyring" >&2; exit 1; }
apt_dir=$out/apt
debian_apt_init "$apt_dir" "$debarch"

fetched=""
for suite in "${suites[@]}"; do
	echo "fetch-linux: $meta:$debarch from $uri $suite" >&2
	debian_apt_suite "$apt_dir" "$debarch" "$keyring" "$uri" "$suite"
	# The metapackage depends on the versioned image (signed variant first).
	pkg=$(apt-cache "${apt_opts[@]}" depends "$meta:$debarch" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { sub(/:.*/, "", $2); print $2; exit }' || true)
	if [ -n "$pkg" ] && (cd "$apt_dir/deb" && apt-get "${apt_opts[@]}" -qq download "$pkg:$debarch"); then
		fetched=$suite
		break
	fi
	echo "fetch-linux: $suite failed, trying the next suite" >&2
done
[ -n "$fetched" ] || { echo "fetch-linux: could not download $meta for $debarch" >&2; exit 1; }

deb=$(ls "$apt_dir"/deb/linux-image-*.deb | head -n1)
rm -rf "$apt_dir/root"
dpkg-deb -x "$deb" "$apt_dir/root"
img=$(ls "$apt_dir"/root/boot/vmlinu[xz]-* | head -n1)
# riscv64's vmlinuz is a gzip'd Image (QEMU's -kernel with OpenSBI wants the
# plain Image); x86_64's is a bzImage that QEMU loads as it is.
if gzip -t "$img" 2>/dev/null; then
	gzip -dc "$img" > "$out/vmlinuz.tmp"
else
	cp "$img" "$out/vmlinuz.tmp"
fi
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
cp "$img" "$out/vmlinuz.packaged"
dpkg-deb --showformat='${Package} ${Version}\n' -W "$deb" > "$out/version"
rm -rf "$apt_dir/root" "$apt_dir/deb" "$apt_dir/cache"
echo "fetch-linux: $out/vmlinuz ($(cat "$out/version"), suite $fetched)" >&2
