#!/usr/bin/env bash
# Fetch Debian's riscv64 busybox-static into OUTDIR (OUTDIR/bin/busybox).
#
# Uses apt-get download through an isolated apt configuration kept under
# OUTDIR/apt (its own sources list, lists, cache and status file), so the
# machine's own apt state is never touched. The mirror is read from the
# machine's own apt sources; the suite is Debian's newer one that carries
# riscv64 (trixie). Signatures are checked with the Debian archive keyring.
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

# The first non-security Debian mirror listed in the machine's apt sources.
mirror_uri() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' "$f" |
			grep -v -- '-security' | head -n1 || true)
		if [ -n "$uri" ]; then
			echo "$uri"
			return 0
		fi
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		uri=$(awk '$1 == "deb" {
				for (i = 2; i <= NF; i++)
					if ($i !~ /^\[/ && $i !~ /\]$/ && $i !~ /=/) { print $i; break }
			}' "$f" | grep -v -- '-security' | head -n1 || true)
		if [ -n "$uri" ]; then
			echo "$uri"
			return 0
		fi
	done
	return 1
}

uri=$(mirror_uri) || { echo "fetch-busybox: no Debian mirror found in /etc/apt sources" >&2; exit 1; }

# The whole archive keyring (it carries trixie's keys on bookworm), else
# trixie's own key file.
keyring=""
for k in /usr/share/keyrings/debian-archive-keyring.gpg \
	 /usr/share/keyrings/debian-archive-trixie-automatic.gpg; do
	if [ -r "$k" ]; then
		keyring=$k
		break
	fi
done
if [ -z "$keyring" ]; then
	echo "fetch-busybox: no Debian archive keyring in /usr/share/keyrings" >&2
	echo "fetch-busybox: install debian-archive-keyring (the signature must be verified)" >&2
	exit 1
fi

apt_dir=$out/apt
mkdir -p "$apt_dir"/etc/apt.conf.d "$apt_dir"/etc/preferences.d "$apt_dir"/etc/sources.list.d \
	 "$apt_dir"/etc/trusted.gpg.d "$apt_dir"/state/lists/partial \
	 "$apt_dir"/cache/archives/partial "$apt_dir"/deb
apt_opts=(
	-o Dir::Etc="$apt_dir/etc"
	-o Dir::Etc::sourcelist="$apt_dir/etc/sources.list"
	-o Dir::Etc::sourceparts="$apt_dir/etc/sources.list.d"
	-o Dir::Etc::parts="$apt_dir/etc/apt.conf.d"
	-o Dir::Etc::preferencesparts="$apt_dir/etc/preferences.d"
	-o Dir::Etc::trustedparts="$apt_dir/etc/trusted.gpg.d"
	-o Dir::State="$apt_dir/state"
	-o Dir::State::status="$apt_dir/state/status"
	-o Dir::Cache="$apt_dir/cache"
	-o APT::Architecture=riscv64
	-o APT::Architectures=riscv64
	-o Acquire::Languages=none
	-o Debug::NoLocking=1
	-o APT::Sandbox::User=root
)
[ -n "${FETCH_BUSYBOX_APT_DEBUG:-}" ] && apt_opts+=(-o Debug::Acquire::http=1)

fetched=""
for suite in "${suites[@]}"; do
	echo "fetch-busybox: busybox-static:riscv64 from $uri $suite" >&2
	rm -rf "$apt_dir"/state/lists "$apt_dir"/deb
	mkdir -p "$apt_dir"/state/lists/partial "$apt_dir"/deb
	: > "$apt_dir"/state/status
	echo "deb [arch=riscv64 signed-by=$keyring] $uri $suite main" > "$apt_dir"/etc/sources.list
	# apt-get update exits 0 on some index failures; -o APT::Update::Error-Mode
	# is not in bookworm's apt, so judge by the download that follows.
	apt-get "${apt_opts[@]}" -qq update || true
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
