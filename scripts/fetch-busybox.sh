#!/usr/bin/env bash
# Fetch Debian's riscv64 busybox-static into OUTDIR (OUTDIR/bin/busybox).
#
# Uses apt-get download through an isolated apt configuration kept under
# OUTDIR/apt (scripts/lib/debian-fetch.sh: the machine's own apt state is
# never touched, the mirror comes from the machine's apt sources, signatures
# are checked). The suite is Debian's newer one that carries riscv64.
# A second run with OUTDIR/bin/busybox present does nothing.
#
# Usage: scripts/fetch-busybox.sh OUTDIR [SUITE...]
#   SUITE defaults to "trixie stable": the codename first, then its alias,
#   since a caching mirror may hold a stale index under one of the two names
#   (apt then fails with "File has unexpected size"). Both are signed by the
#   same archive keys and are checked the same way.
set -euo pipefail

out=${1:?usage: fetch-busybox.sh OUTDIR [SUITE...]}
shift
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(trixie stable)
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ -x "$out/bin/busybox" ]; then
	exit 0
fi

. "$(dirname "$0")/lib/debian-fetch.sh"

uri=$(debian_mirror_uri) || { echo "fetch-busybox: no Debian mirror found in /etc/apt sources" >&2; exit 1; }
keyring=$(debian_archive_keyring) || {
	echo "fetch-busybox: no Debian archive keyring in /usr/share/keyrings" >&2
	echo "fetch-busybox: install debian-archive-keyring (the signature must be verified)" >&2
	exit 1
}
apt_dir=$out/apt
debian_apt_init "$apt_dir" riscv64

fetched=""
for suite in "${suites[@]}"; do
	echo "fetch-busybox: busybox-static:riscv64 from $uri $suite" >&2
	debian_apt_suite "$apt_dir" riscv64 "$keyring" "$uri" "$suite"
	if (cd "$apt_dir/deb" && apt-get "${apt_opts[@]}" -qq download busybox-static:riscv64); then
		fetched=$suite
		break
	fi
	echo "fetch-busybox: $suite failed, trying the next suite" >&2
done
if [ -z "$fetched" ]; then
	echo "fetch-busybox: could not download busybox-static:riscv64 (suites: ${suites[*]})" >&2
	exit 1
fi

deb=$(ls "$apt_dir"/deb/busybox-static_*_riscv64.deb | head -n1)
rm -rf "$apt_dir/root"
dpkg-deb -x "$deb" "$apt_dir/root"
mkdir -p "$out/bin"
install -m 0755 "$apt_dir/root/bin/busybox" "$out/bin/busybox.tmp" 2>/dev/null ||
	install -m 0755 "$apt_dir/root/usr/bin/busybox" "$out/bin/busybox.tmp"
mv "$out/bin/busybox.tmp" "$out/bin/busybox"
echo "fetch-busybox: $out/bin/busybox ($(basename "$deb"))" >&2
