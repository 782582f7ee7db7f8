#!/usr/bin/env bash
# Build musl for riscv64 from Debian's source package (issue 10): Debian's
# prebuilt riscv64 musl-dev uses relocations this machine's binutils 2.40
# linker crashes on, so the library is compiled here with the
# riscv64-linux-gnu cross gcc.
#
# The source comes through the isolated apt configuration of
# scripts/lib/debian-fetch.sh (under OUTDIR/apt; the machine's apt state is
# untouched): `apt-get source --download-only` checks the files against
# the signed Sources index; dpkg-source -x unpacks it with Debian's patches.
# The result is OUTDIR/sysroot: include/, lib/ (crt*.o, libc.a, libc.so,
# ld-musl-riscv64.so.1 -> libc.so) and bin/musl-gcc, the wrapper that
# compiles against it (static or dynamic; the programs' interpreter is
# /lib/ld-musl-riscv64.so.1).
# A second run with OUTDIR/sysroot/bin/musl-gcc present does nothing.
#
# Usage: scripts/build-musl-riscv64.sh OUTDIR [SUITE...]   (default: trixie stable)
set -euo pipefail

out=${1:?usage: build-musl-riscv64.sh OUTDIR [SUITE...]}
shift
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(trixie stable)
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ -x "$out/sysroot/bin/musl-gcc" ] && exit 0

. "$(dirname "$0")/lib/debian-fetch.sh"

uri=$(debian_mirror_uri) || { echo "build-musl-riscv64: no Debian mirror in /etc/apt sources" >&2; exit 1; }
keyring=$(debian_archive_keyring) || { echo "build-musl-riscv64: no Debian archive keyring" >&2; exit 1; }
apt_dir=$out/apt
debian_apt_init "$apt_dir" riscv64

src=""
for suite in "${suites[@]}"; do
	echo "build-musl-riscv64: musl source from $uri $suite" >&2
	rm -rf "$apt_dir/state" "$apt_dir/src"
	mkdir -p "$apt_dir/state/lists/partial" "$apt_dir/src"
	: > "$apt_dir/state/status"
	echo "deb-src [signed-by=$keyring] $uri $suite main" > "$apt_dir/etc/sources.list"
	apt-get "${apt_opts[@]}" -qq update || true
	if (cd "$apt_dir/src" && apt-get "${apt_opts[@]}" -qq source --download-only musl) >&2; then
		src=$suite
		break
	fi
	echo "build-musl-riscv64: $suite failed, trying the next suite" >&2
done
[ -n "$src" ] || { echo "build-musl-riscv64: could not download musl's source" >&2; exit 1; }

dsc=$(ls "$apt_dir"/src/musl_*.dsc | head -n1)
rm -rf "$out/src"
dpkg-source --no-check -x "$dsc" "$out/src" >&2
cd "$out/src"
rm -rf "$out/sysroot.tmp"
./configure --target=riscv64-linux-gnu CROSS_COMPILE=riscv64-linux-gnu- \
	CC=riscv64-linux-gnu-gcc --prefix="$out/sysroot.tmp" \
	--syslibdir="$out/sysroot.tmp/lib" --enable-wrapper=gcc >&2
make -j"${MUSL_JOBS:-2}" >&2
make install >&2
# The wrapper names the final prefix; the programs' interpreter is the
# guest's /lib/ld-musl-riscv64.so.1 (not this folder), and the loader link
# here is relative so the folder can move.
sed -i "s|$out/sysroot.tmp|$out/sysroot|g" "$out/sysroot.tmp/bin/musl-gcc" "$out/sysroot.tmp/lib/musl-gcc.specs"
sed -i "s|-dynamic-linker [^ ]*|-dynamic-linker /lib/ld-musl-riscv64.so.1|" "$out/sysroot.tmp/lib/musl-gcc.specs"
ln -sf libc.so "$out/sysroot.tmp/lib/ld-musl-riscv64.so.1"
rm -f "$out"/musl_*.orig.tar.* 
rm -rf "$out/sysroot"
mv "$out/sysroot.tmp" "$out/sysroot"
echo "build-musl-riscv64: $out/sysroot ($(basename "$dsc"))" >&2
