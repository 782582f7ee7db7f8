#!/usr/bin/env bash
# Make a sysroot of Debian's dynamically linked programs for ARCH in OUTDIR
# (issue 10): bash, coreutils, grep, sed, gawk, findutils, diffutils, tar,
# gzip, xz-utils, lua5.4 and python3, with every library they depend on.
#
# The packages come through the isolated apt configuration of
# scripts/lib/debian-fetch.sh (kept under OUTDIR/apt: the machine's own apt
# state is never touched, signatures are checked with the archive keyring).
# apt itself resolves the dependencies: `apt-get install --download-only`
# against an empty status file downloads the programs and everything they
# Depend or Pre-Depend on. Each .deb is unpacked with dpkg-deb -x into
# OUTDIR/root (no maintainer scripts run); the usrmerge links (/bin, /sbin,
# /lib, /lib64 -> usr/...) and /bin/sh -> bash are made by hand, as
# base-files and dash would.
# A second run with OUTDIR/root/.complete present does nothing.
#
# Usage: scripts/fetch-debian-programs.sh ARCH OUTDIR [SUITE...]
#   ARCH: riscv64 or x86_64. SUITE defaults to "trixie stable" (the codename
#   first, then its alias, as scripts/fetch-busybox.sh does).
set -euo pipefail

arch=${1:?usage: fetch-debian-programs.sh ARCH OUTDIR [SUITE...]}
out=${2:?usage: fetch-debian-programs.sh ARCH OUTDIR [SUITE...]}
shift 2
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(trixie stable)
case "$arch" in
riscv64) debarch=riscv64 ;;
x86_64) debarch=amd64 ;;
*) echo "fetch-debian-programs: unknown arch $arch" >&2; exit 2 ;;
esac
packages=(bash coreutils grep sed gawk findutils diffutils tar gzip xz-utils lua5.4
	  python3-minimal python3 libc-bin)

mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -e "$out/root/.complete" ]; then
	exit 0
fi

. "$(dirname "$0")/lib/debian-fetch.sh"

uri=$(debian_mirror_uri) || { echo "fetch-debian-programs: no Debian mirror in /etc/apt sources" >&2; exit 1; }
keyring=$(debian_archive_keyring) || {
	echo "fetch-debian-programs: no Debian archive keyring (install debian-archive-keyring)" >&2
	exit 1
}
apt_dir=$out/apt
debian_apt_init "$apt_dir" "$debarch"
apt_opts+=(-o Dir::Cache::archives="$apt_dir/deb" -o APT::Install-Recommends=false
	   -o APT::Get::AllowUnauthenticated=false)

fetched=""
for suite in "${suites[@]}"; do
	echo "fetch-debian-programs: ${packages[*]} ($debarch) from $uri $suite" >&2
	debian_apt_suite "$apt_dir" "$debarch" "$keyring" "$uri" "$suite"
	mkdir -p "$apt_dir/deb/partial"
	if apt-get "${apt_opts[@]}" -qq -y --download-only install "${packages[@]}" > "$apt_dir/install.log" 2>&1; then
		fetched=$suite
		break
	fi
	tail -n 5 "$apt_dir/install.log" >&2
	echo "fetch-debian-programs: $suite failed, trying the next suite" >&2
done
if [ -z "$fetched" ]; then
	echo "fetch-debian-programs: could not download the packages (suites: ${suites[*]})" >&2
	exit 1
fi

rm -rf "$out/root.tmp"
mkdir -p "$out/root.tmp/usr/bin" "$out/root.tmp/usr/sbin" "$out/root.tmp/usr/lib"
# usrmerge, as base-files makes it: the top-level folders are links.
ln -s usr/bin "$out/root.tmp/bin"
ln -s usr/sbin "$out/root.tmp/sbin"
ln -s usr/lib "$out/root.tmp/lib"
[ "$debarch" = amd64 ] && mkdir -p "$out/root.tmp/usr/lib64" && ln -s usr/lib64 "$out/root.tmp/lib64"
n=0
for deb in "$apt_dir"/deb/*.deb; do
	dpkg-deb -x "$deb" "$out/root.tmp"
	n=$((n + 1))
done
# What maintainer scripts and other packages would have made.
[ -e "$out/root.tmp/usr/bin/sh" ] || ln -s bash "$out/root.tmp/usr/bin/sh"
[ -e "$out/root.tmp/usr/bin/python3" ] || ln -s "$(cd "$out/root.tmp/usr/bin" && ls python3.* | head -n1)" "$out/root.tmp/usr/bin/python3"
[ -e "$out/root.tmp/usr/bin/lua" ] || ln -s lua5.4 "$out/root.tmp/usr/bin/lua"
[ -e "$out/root.tmp/usr/bin/awk" ] || ln -s gawk "$out/root.tmp/usr/bin/awk"
mkdir -p "$out/root.tmp/tmp" "$out/root.tmp/dev" "$out/root.tmp/proc" "$out/root.tmp/root" \
	 "$out/root.tmp/etc"
chmod 1777 "$out/root.tmp/tmp"
echo "root:x:0:0:root:/root:/bin/bash" > "$out/root.tmp/etc/passwd"
echo "root:x:0:" > "$out/root.tmp/etc/group"
# The packages' documentation is not needed in the guest.
rm -rf "$out/root.tmp/usr/share/doc" "$out/root.tmp/usr/share/man" "$out/root.tmp/usr/share/info" \
       "$out/root.tmp/usr/share/locale"
ls "$apt_dir"/deb/*.deb | xargs -n1 basename > "$out/root.tmp/.packages"
touch "$out/root.tmp/.complete"
rm -rf "$out/root"
mv "$out/root.tmp" "$out/root"
echo "fetch-debian-programs: $out/root ($n packages from $fetched, $(du -sm "$out/root" | cut -f1) MiB)" >&2
