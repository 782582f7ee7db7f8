#!/usr/bin/env bash
# Fetch Debian packages of another architecture for the judge image and
# unpack them (dpkg-deb -x, nothing installed) into OUTDIR/root, through the
# isolated apt configuration of scripts/lib/debian-fetch.sh (the machine's
# apt state is never touched, signatures are checked). The suite is
# Debian's newer one that carries riscv64. A second run with the same
# package list does nothing.
#
# Usage: scripts/judge/fetch-debs.sh DEBARCH OUTDIR PACKAGE...
set -euo pipefail

debarch=${1:?usage: fetch-debs.sh DEBARCH OUTDIR PACKAGE...}
out=${2:?usage: fetch-debs.sh DEBARCH OUTDIR PACKAGE...}
shift 2
pkgs=("$@")
mkdir -p "$out"
out=$(cd "$out" && pwd)
want="${pkgs[*]}"
if [ -d "$out/root" ] && [ "$(cat "$out/packages" 2>/dev/null)" = "$want" ]; then
	exit 0
fi

. "$(dirname "$0")/../lib/debian-fetch.sh"

uri=$(debian_mirror_uri) || { echo "fetch-debs: no Debian mirror found in /etc/apt sources" >&2; exit 1; }
keyring=$(debian_archive_keyring) || { echo "fetch-debs: no Debian archive keyring" >&2; exit 1; }
apt_dir=$out/apt
debian_apt_init "$apt_dir" "$debarch"

fetched=""
for suite in trixie stable; do
	echo "fetch-debs: ${pkgs[*]} ($debarch) from $uri $suite" >&2
	debian_apt_suite "$apt_dir" "$debarch" "$keyring" "$uri" "$suite"
	args=()
	for p in "${pkgs[@]}"; do args+=("$p:$debarch"); done
	if (cd "$apt_dir/deb" && apt-get "${apt_opts[@]}" -qq download "${args[@]}"); then
		fetched=$suite
		break
	fi
	echo "fetch-debs: $suite failed, trying the next suite" >&2
done
[ -n "$fetched" ] || { echo "fetch-debs: could not download ${pkgs[*]}" >&2; exit 1; }

rm -rf "$out/root"
for deb in "$apt_dir"/deb/*.deb; do
	dpkg-deb -x "$deb" "$out/root"
done
echo "$want" > "$out/packages"
echo "fetch-debs: $(ls "$apt_dir"/deb) into $out/root" >&2
