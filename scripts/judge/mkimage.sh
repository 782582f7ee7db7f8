#!/usr/bin/env bash
# Build a judge-format ext4 disk (docs/judge.md): no partition table, made
# with mkfs.ext4 -d from a staging tree (no root, no loop mounts), from
# Debian packages and Ferrite's own programs only:
#   /glibc   basic (user/judge/basic, dynamically linked against glibc),
#            busybox, lua (Debian's lua5.4), bench and dynamic (Debian's
#            bash, coreutils, grep, sed, gawk, findutils, diffutils, tar,
#            gzip, xz: this machine's on x86_64, fetched on riscv64) scripts, glibc's
#            libraries in /glibc/lib, Debian's busybox-static as ./busybox
#   /musl    the same programs built with musl-gcc (x86_64: Debian's
#            musl-tools; riscv64: musl built from Debian's source package by
#            scripts/build-musl-riscv64.sh), musl's libc.so in /musl/lib; no lua
# Each *_testcode.sh prints "#### OS COMP TEST GROUP START name-libc ####"
# ... "END" and one "testcase GROUP NAME success|fail" line per case.
#
# Usage: scripts/judge/mkimage.sh ARCH OUT.img [small]
#   small: the bounded image of make test (basic, busybox and disk groups)
#   BUILD (default build) holds the riscv64 busybox and the fetched debs.
set -euo pipefail

arch=${1:?usage: mkimage.sh ARCH OUT.img [small]}
out=${2:?usage: mkimage.sh ARCH OUT.img [small]}
size=${3:-full}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-build}
case "$build" in /*) ;; *) build=$top/$build ;; esac
src=$top/user/judge
stage=$build/judge/$arch-$size/root
rm -rf "$stage"
mkdir -p "$stage"

tests="brk chdir clone close dup dup2 execve exit fork fstat getcwd getdents getpid getppid
gettimeofday mkdir mmap mount munmap open openat pipe read sleep times umount uname unlink
wait waitpid write yield"

case "$arch" in
x86_64)
	cc=gcc
	glibc_libdir=/lib/x86_64-linux-gnu
	glibc_ldso=ld-linux-x86-64.so.2
	busybox=/bin/busybox
	libcs="glibc musl"
	musl_cc=musl-gcc
	musl_libc=/lib/x86_64-linux-musl/libc.so
	lua=/usr/bin/lua5.4
	lua_libs="libreadline.so.8 libtinfo.so.6"
	lua_libdir=$glibc_libdir
	dyn_bins="bash ls sort head seq md5sum dd stat date grep sed gawk find diff tar gzip xz mkdir rm"
	python_bin=/usr/bin/python3
	python_lib=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')
	;;
riscv64)
	cc=riscv64-linux-gnu-gcc
	busybox=$build/riscv64/user/busybox
	[ -x "$busybox" ] || { echo "mkimage: $busybox missing (make kernel-rv first)" >&2; exit 1; }
	libcs="glibc"
	# musl from Debian's source package, built once into BUILD/musl-riscv64
	# (the musl guest tests use the same sysroot).
	musl_root=$build/musl-riscv64/sysroot
	if [ -x "$musl_root/bin/musl-gcc" ] || "$top/scripts/build-musl-riscv64.sh" "$build/musl-riscv64"; then
		libcs="glibc musl"
		musl_cc=$musl_root/bin/musl-gcc
		musl_libc=$musl_root/lib/libc.so
	else
		echo "mkimage: no musl for riscv64, /musl left out" >&2
	fi
	# Debian's riscv64 lua5.4 and the glibc it was built for (the newer
	# suite), through the isolated apt configuration of the busybox fetch.
	# Debian's programs of the dynamic group come from the same suite.
	debs=$build/judge/riscv64-debs
	"$here/fetch-debs.sh" riscv64 "$debs" lua5.4 libreadline8t64 libtinfo6 libc6 \
		bash coreutils grep sed gawk findutils diffutils tar gzip xz-utils libacl1 libattr1 \
		libselinux1 libpcre2-8-0 libgmp10 libmpfr6 libsigsegv2 liblzma5 libcap2 libssl3t64 \
		zlib1g libzstd1 python3.13-minimal libpython3.13-minimal libpython3.13-stdlib libexpat1 \
		libffi8 libbz2-1.0 libmpdec4
	glibc_libdir=$debs/root/usr/lib/riscv64-linux-gnu
	[ -e "$glibc_libdir/libc.so.6" ] || glibc_libdir=$debs/root/lib/riscv64-linux-gnu
	glibc_ldso=ld-linux-riscv64-lp64d.so.1
	lua=$debs/root/usr/bin/lua5.4
	lua_libs="libreadline.so.8 libtinfo.so.6"
	lua_libdir=$glibc_libdir
	dyn_bins="bash ls sort head seq md5sum dd stat date grep sed gawk find diff tar gzip xz mkdir rm"
	dyn_root=$debs/root
	python_bin=$debs/root/usr/bin/python3.13
	python_lib=$debs/root/usr/lib/python3.13
	;;
*)
	echo "mkimage: unknown arch $arch (riscv64 or x86_64)" >&2
	exit 1
	;;
esac

# The header every script starts and ends with.
marker() { # GROUP LIBC START|END
	echo "echo \"#### OS COMP TEST GROUP $3 $1-$2 ####\""
}

make_folder() {
	local libc=$1 dir=$stage/$1 compile
	mkdir -p "$dir/basic" "$dir/lib"
	case "$libc" in
	glibc)
		compile=("$cc" -O2 -Wall -Wextra -Werror)
		for l in "$glibc_ldso" libc.so.6 libm.so.6; do
			cp -L "$glibc_libdir/$l" "$dir/lib/$l"
		done
		;;
	musl)
		compile=("$musl_cc" -O2 -Wall -Wextra -Werror)
		cp -L "$musl_libc" "$dir/lib/libc.so"
		;;
	esac
	cp "$busybox" "$dir/busybox"

	for t in $tests; do
		"${compile[@]}" -o "$dir/basic/$t" "$src/basic/$t.c"
	done
	{
		echo "#!/bin/sh"
		echo "# Ferrite's basic suite: one program per system call (user/judge/basic)."
		marker basic "$libc" START
		echo "for t in $(echo $tests); do"
		echo "	./basic/\$t"
		echo "	rc=\$?"
		echo "	[ \$rc -gt 1 ] && echo \"testcase basic \$t fail (status \$rc)\""
		echo "done"
		marker basic "$libc" END
	} > "$dir/basic_testcode.sh"

	# The judges' programs write in their own folder: the disk is writable.
	{
		echo "#!/bin/sh"
		echo "# Writes in this folder of the disk: a file, a directory, a rename,"
		echo "# 1 MiB through dd, each read back, then removed."
		marker disk "$libc" START
		echo "check() { if eval \"\$1\" > /dev/null 2>&1; then echo \"testcase disk \$2 success\"; else echo \"testcase disk \$2 fail\"; fi; }"
		echo "check 'echo judge > disk_probe.txt && grep -qx judge disk_probe.txt' write-file"
		echo "check 'mkdir -p disk_dir/sub && mv disk_probe.txt disk_dir/sub/moved.txt && grep -qx judge disk_dir/sub/moved.txt' mkdir-rename"
		echo "check 'dd if=/dev/zero of=disk_dir/big bs=4096 count=256 && sync && test \$(wc -c < disk_dir/big) -eq 1048576' dd-1m"
		echo "check 'rm -r disk_dir && test ! -e disk_dir' remove"
		marker disk "$libc" END
	} > "$dir/disk_testcode.sh"

	cp "$src/busybox_cmd.txt" "$dir/busybox_cmd.txt"
	{
		echo "#!/bin/sh"
		echo "# busybox applets, one per line of busybox_cmd.txt, run in a scratch"
		echo "# folder under /tmp with this folder's busybox."
		marker busybox "$libc" START
		echo "bb=\$(pwd)/busybox"
		echo "work=/tmp/judge-busybox-$libc"
		echo "rm -rf \$work; mkdir -p \$work; cp busybox_cmd.txt \$work/; cd \$work"
		echo "while read -r line; do"
		echo "	case \"\$line\" in"
		echo "	'echo \"####'*) eval \"\$line\"; continue ;;"
		echo "	esac"
		echo "	eval \"\$bb \$line\" > /dev/null 2>&1"
		echo "	rc=\$?"
		echo "	if [ \$rc -ne 0 ] && [ \"\$line\" != false ]; then"
		echo "		echo \"testcase busybox \$line fail\""
		echo "	else"
		echo "		echo \"testcase busybox \$line success\""
		echo "	fi"
		echo "done < busybox_cmd.txt"
		echo "cd /; rm -rf \$work"
		marker busybox "$libc" END
	} > "$dir/busybox_testcode.sh"

	[ "$size" = small ] && return 0

	"${compile[@]}" -o "$dir/bench" "$src/bench.c"
	{
		echo "#!/bin/sh"
		echo "# Micro-benchmarks (user/judge/bench.c): \"bench NAME VALUE UNIT\" lines."
		marker bench "$libc" START
		echo "./bench && echo \"testcase bench run success\" || echo \"testcase bench run fail\""
		marker bench "$libc" END
	} > "$dir/bench_testcode.sh"

	if [ "$libc" = glibc ] && [ -n "$dyn_bins" ]; then
		# Debian's dynamically linked programs with their libraries.
		mkdir -p "$dir/dynbin" "$dir/dynamic"
		for b in $dyn_bins; do
			if [ -z "${dyn_root:-}" ]; then
				cp -L "$(PATH=/usr/bin:/bin; command -v "$b")" "$dir/dynbin/$b"
				ldd "$dir/dynbin/$b" | awk '$3 ~ /^\// { print $3 }' | while read -r l; do
					[ -e "$dir/lib/$(basename "$l")" ] || cp -L "$l" "$dir/lib/"
				done
			else
				cp -L "$(ls "$dyn_root/usr/bin/$b" "$dyn_root/bin/$b" 2>/dev/null | head -n1)" "$dir/dynbin/$b"
			fi
		done
		# riscv64: every library of the fetched packages (no ldd for riscv64 here).
		if [ -n "${dyn_root:-}" ]; then
			for l in "$glibc_libdir"/*.so.*; do
				[ -e "$dir/lib/$(basename "$l")" ] || cp -L "$l" "$dir/lib/"
			done
		fi
		if [ -n "${python_lib:-}" ]; then
			# python3 finds its standard library from its own path:
			# dynbin/../lib/python3.X; its extension modules' libraries too.
			cp -L "$python_bin" "$dir/dynbin/python3"
			tar -C "$(dirname "$python_lib")" -cf - --exclude=test --exclude=tests \
				--exclude=idlelib --exclude=tkinter --exclude=turtledemo --exclude=ensurepip \
				--exclude=lib2to3 --exclude=pydoc_data --exclude=site-packages \
				--exclude=dist-packages "$(basename "$python_lib")" | tar -C "$dir/lib" -xf -
			if [ -z "${dyn_root:-}" ]; then
				for so in "$python_bin" "$python_lib"/lib-dynload/*.so; do
					ldd "$so" 2>/dev/null | awk '$3 ~ /^\// { print $3 }' || true
				done | sort -u | while read -r l; do
					[ -e "$dir/lib/$(basename "$l")" ] || cp -L "$l" "$dir/lib/"
				done
			fi
			cp "$src/dynamic/script.py" "$dir/dynamic/"
		fi
		cp "$src/dynamic/script.bash" "$dir/dynamic/"
		cp "$src/dynamic_cmd.txt" "$dir/dynamic_cmd.txt"
		[ -n "${python_lib:-}" ] && cat "$src/dynamic_python.txt" >> "$dir/dynamic_cmd.txt"
		{
			echo "#!/bin/sh"
			echo "# Debian's programs (dynbin/, libraries in lib/), one command per line of"
			echo "# dynamic_cmd.txt (its first word taken from dynbin/, as busybox sh would"
			echo "# run its own applet first), run in a scratch folder under /tmp."
			marker dynamic "$libc" START
			echo "here=\$(pwd)"
			echo "export PATH=\$here/dynbin:\$PATH"
			echo "work=/tmp/judge-dynamic-$libc"
			echo "rm -rf \$work; mkdir -p \$work; cp dynamic/script.* \$work/; cd \$work"
			echo "while read -r line; do"
			echo "	if eval \"\$here/dynbin/\$line\" > out.txt 2>&1; then"
			echo "		printf 'testcase dynamic %s success\\n' \"\$line\""
			echo "	else"
			echo "		printf 'testcase dynamic %s fail\\n' \"\$line\"; head -n 5 out.txt"
			echo "	fi"
			echo "done < \$here/dynamic_cmd.txt"
			echo "cd /; rm -rf \$work"
			marker dynamic "$libc" END
		} > "$dir/dynamic_testcode.sh"
	fi

	if [ "$libc" = glibc ]; then
		cp "$lua" "$dir/lua"
		for l in $lua_libs; do
			cp -L "$lua_libdir/$l" "$dir/lib/$l"
		done
		mkdir -p "$dir/lua_scripts"
		cp "$src"/lua/*.lua "$dir/lua_scripts/"
		{
			echo "#!/bin/sh"
			echo "# Debian's lua5.4 running the scripts of user/judge/lua."
			marker lua "$libc" START
			echo "for f in lua_scripts/*.lua; do"
			echo "	n=\${f#lua_scripts/}"
			echo "	if ./lua \$f; then echo \"testcase lua \$n success\"; else echo \"testcase lua \$n fail\"; fi"
			echo "done"
			marker lua "$libc" END
		} > "$dir/lua_testcode.sh"
	fi
}

for libc in $libcs; do
	make_folder "$libc"
done
chmod -R a+rX "$stage"

# Room for what the scripts write in their folders: the tree plus 64 MiB.
kib=$(du -sk "$stage" | cut -f1)
kib=$((kib + kib / 4 + 64 * 1024))
rm -f "$out"
mkfs.ext4 -q -F -L judge -d "$stage" "$out" "${kib}K" > /dev/null
echo "mkimage: $out ($arch, $size: $(echo $libcs) folders, $((kib / 1024)) MiB)"
