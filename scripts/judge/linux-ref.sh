#!/usr/bin/env bash
# The Linux reference of a judge image (docs/judge.md): the image's staging
# tree (scripts/judge/mkimage.sh) run on this machine's Linux, printing the
# same markers, result lines and "[judge]" timing lines as Ferrite's runner,
# so scripts/judge/score.py sets the two side by side.
#   x86_64   every folder's scripts, natively, in the runner's order (the
#            musl programs use /lib/ld-musl-x86_64.so.1 of Debian's musl)
#   riscv64  qemu-riscv64 user mode cannot exec a foreign program from a
#            script without binfmt_misc, so each basic program and each lua
#            script is run directly under qemu-riscv64 (-L: the folder's
#            glibc, or musl's libc.so as its loader); the busybox and bench
#            groups have no riscv64 reference
# A Debian Linux kernel booting the disk itself is not done (its virtio_blk
# and ext4 are modules): see docs/judge.md.
#
# Usage: scripts/judge/linux-ref.sh ARCH STAGE-ROOT OUT.log
set -uo pipefail

arch=${1:?usage: linux-ref.sh ARCH STAGE OUT.log}
stage=${2:?}
out=${3:?}
stage=$(cd "$stage" && pwd)

now() { date +%s.%N; }
elapsed() { echo "$(now) $1" | awk '{ printf "%.2f", $1 - $2 }'; }

scripts_of() { # DIR: basic first, then alphabetical
	(cd "$1" && ls -1 -- *_testcode.sh 2>/dev/null | sort | awk '$0 == "basic_testcode.sh" { print; next } { rest[n++] = $0 } END { for (i = 0; i < n; i++) print rest[i] }')
}

{
	echo "[judge] Linux reference: $(uname -sr) $(uname -m), $arch programs"
	echo "[judge] boot to first testcode: 0.00 s"
	for dir in "$stage" "$stage"/*/; do
		dir=${dir%/}
		[ -d "$dir" ] || continue
		for s in $(scripts_of "$dir"); do
			echo "[judge] running $dir/$s"
			t0=$(now)
			case "$arch" in
			x86_64)
				(cd "$dir" && timeout 600 setsid "$dir/busybox" sh "./$s" < /dev/null 2>&1)
				rc=$?
				;;
			riscv64)
				libc=$(basename "$dir")
				group=${s%_testcode.sh}
				prefix=$(mktemp -d)
				# The folder's libraries as /lib; musl's loader is its libc.so.
				mkdir "$prefix/lib"
				ln -s "$dir"/lib/* "$prefix/lib/"
				[ -e "$dir/lib/libc.so" ] && ln -sf "$dir/lib/libc.so" "$prefix/lib/ld-musl-riscv64.so.1"
				rc=0
				case "$group" in
				basic)
					echo "#### OS COMP TEST GROUP START basic-$libc ####"
					for t in "$dir"/basic/*; do
						(cd /tmp && timeout 60 qemu-riscv64 -L "$prefix" "$t" 2>&1)
						[ $? -gt 1 ] && echo "testcase basic $(basename "$t") fail"
					done
					echo "#### OS COMP TEST GROUP END basic-$libc ####"
					;;
				lua)
					echo "#### OS COMP TEST GROUP START lua-$libc ####"
					for f in "$dir"/lua_scripts/*.lua; do
						if (cd "$dir" && timeout 60 qemu-riscv64 -L "$prefix" ./lua "$f" 2>&1); then
							echo "testcase lua $(basename "$f") success"
						else
							echo "testcase lua $(basename "$f") fail"
						fi
					done
					echo "#### OS COMP TEST GROUP END lua-$libc ####"
					;;
				esac
				rm -rf "$prefix"
				;;
			esac
			echo "[judge] $dir/$s: exit ${rc:-0} after $(elapsed "$t0") s"
		done
	done
} > "$out"
