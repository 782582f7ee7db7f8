#!/usr/bin/env bash
# Start-up cost of Debian's `python3 -c pass` and `bash -c true`, Ferrite
# against Linux (issue 10; docs/benchmarks.md): one archive, the Debian
# sysroot of scripts/fetch-debian-programs.sh in /debian and
# /tests/debian_spawn as the init, booted under -icount shift=0,sleep=off
# (one virtual nanosecond per instruction) by Ferrite (init=) and by
# Debian's Linux (rdinit=, the kernel scripts/bench/fetch-linux.sh fetches).
# Prints debian_spawn's STARTUP lines of each kernel.
#
# Usage: scripts/bench/debian-startup.sh ARCH [N]
# Environment: BUILD (default build; needs BUILD/ARCH from `make all`).
set -euo pipefail

arch=${1:?usage: debian-startup.sh ARCH [N]}
n=${2:-10}
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
out=$BUILD/bench/startup
mkdir -p "$out"

scripts/fetch-debian-programs.sh "$arch" "$BUILD/debian-$arch"
scripts/bench/fetch-linux.sh "$arch" "$BUILD/bench/linux-$arch"

cpio=$out/debian-$arch.cpio
spawn=$BUILD/$arch/user/tests/debian_spawn
if [ ! -s "$cpio" ] || [ "$spawn" -nt "$cpio" ] || [ "$BUILD/debian-$arch/root/.complete" -nt "$cpio" ]; then
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage/dev" "$stage/proc" "$stage/tmp"
	cp -a "$BUILD/debian-$arch/root" "$stage/debian"
	cp "$spawn" "$stage/init"
	(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$cpio.tmp"
	mv "$cpio.tmp" "$cpio"
fi

case "$arch" in
x86_64) machine=(qemu-system-x86_64 -machine q35) console=ttyS0 ;;
riscv64) machine=(qemu-system-riscv64 -machine virt -bios default) console=ttyS0 ;;
*) echo "debian-startup: unknown arch $arch" >&2; exit 1 ;;
esac
for k in ferrite linux; do
	if [ $k = ferrite ]; then
		kernel=$BUILD/$arch/kernel append="init=/init norandmaps"
	else
		kernel=$BUILD/bench/linux-$arch/vmlinuz append="rdinit=/init console=$console quiet norandmaps"
	fi
	log=$out/$k-$arch.log
	timeout 1200 "${machine[@]}" -m 1G -smp 1 -nographic -no-reboot -nic none \
		-kernel "$kernel" -initrd "$cpio" -append "$append" \
		-icount shift=0,sleep=off -rtc base=2024-01-01T00:00:00,clock=vm -seed 1 \
		< /dev/null > "$log" 2>&1 || true
	tr -d '\r' < "$log" | grep -o 'STARTUP [^:]*: [0-9]* ns per run.*' | sed "s/^/$k $arch: /" ||
		echo "$k $arch: no result, see $log"
done
