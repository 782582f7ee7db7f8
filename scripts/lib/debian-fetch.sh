# Shared by scripts/fetch-busybox.sh and scripts/bench/fetch-linux.sh (source
# it, bash): download Debian packages of any architecture with
# `apt-get download` through an isolated apt configuration under a
# directory of the caller's (its own sources list, lists, cache and status
# file), so the machine's own apt state is never touched. The mirror is the
# first non-security one in the machine's apt sources (no host name is kept
# in the project); signatures are checked with the Debian archive keyring.
#
#   uri=$(debian_mirror_uri)            or fail: no mirror configured
#   keyring=$(debian_archive_keyring)   or fail: keyring package missing
#   debian_apt_init APT_DIR DEBARCH     sets the array apt_opts
#   debian_apt_suite APT_DIR DEBARCH KEYRING URI SUITE
#                                       fresh lists for one suite's main

# The first non-security Debian mirror listed in the machine's apt sources.
debian_mirror_uri() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		uri=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }' "$f" |
			grep -v -- '-security' | head -n1 || true)
		[ -n "$uri" ] && { echo "$uri"; return 0; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		uri=$(awk '$1 == "deb" {
				for (i = 2; i <= NF; i++)
					if ($i !~ /^\[/ && $i !~ /\]$/ && $i !~ /=/) { print $i; break }
			}' "$f" | grep -v -- '-security' | head -n1 || true)
		[ -n "$uri" ] && { echo "$uri"; return 0; }
	done
	return 1
}

# The whole archive keyring (it carries trixie's keys on bookworm), else
# trixie's own key file.
debian_archive_keyring() {
	local k
	for k in /usr/share/keyrings/debian-archive-keyring.gpg \
		 /usr/share/keyrings/debian-archive-trixie-automatic.gpg; do
		[ -r "$k" ] && { echo "$k"; return 0; }
	done
	return 1
}

debian_apt_init() {
	local apt_dir=$1 debarch=$2
	mkdir -p "$apt_dir"/etc/apt.conf.d "$apt_dir"/etc/preferences.d \
		 "$apt_dir"/etc/sources.list.d "$apt_dir"/etc/trusted.gpg.d \
		 "$apt_dir"/cache/archives/partial
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
		-o APT::Architecture="$debarch"
		-o APT::Architectures="$debarch"
		-o Acquire::Languages=none
		-o Debug::NoLocking=1
		-o APT::Sandbox::User=root
	)
	[ -n "${DEBIAN_FETCH_APT_DEBUG:-}" ] && apt_opts+=(-o Debug::Acquire::http=1)
	return 0
}

# Fresh state for one suite; apt_dir/deb is emptied for the download.
# apt-get update exits 0 on some index failures (-o APT::Update::Error-Mode
# is not in bookworm's apt), so callers judge by the download that follows.
debian_apt_suite() {
	local apt_dir=$1 debarch=$2 keyring=$3 uri=$4 suite=$5
	rm -rf "$apt_dir"/state "$apt_dir"/deb
	mkdir -p "$apt_dir"/state/lists/partial "$apt_dir"/deb
	: > "$apt_dir"/state/status
	echo "deb [arch=$debarch signed-by=$keyring] $uri $suite main" > "$apt_dir"/etc/sources.list
	apt-get "${apt_opts[@]}" -qq update || true
}
