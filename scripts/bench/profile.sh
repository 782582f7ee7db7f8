#!/usr/bin/env bash
# Where do the instructions of one benchmark go? Boots Ferrite (or, with
# KERNEL=..., any kernel) under icount twice with the insn-profile TCG
# plugin (scripts/bench/insn-profile.c): once running the benchmark for one
# repetition, once for 1 + EXTRA repetitions. The difference between the two
# profiles is EXTRA * ITERS operations and nothing else (boot, shell and
# warm-up cancel out), so scripts/bench/profile-report.py can print exact
# instructions per operation, per kernel symbol and per user symbol.
#
# Usage: scripts/bench/profile.sh ARCH BENCH [ITERS] [EXTRA]
#   e.g. BUILD=build scripts/bench/profile.sh x86_64 null_syscall 20000
# Environment: BUILD (default build; needs BUILD/ARCH from `make all`),
# KERNEL (default BUILD/ARCH/kernel), TOP (symbols shown, default 40),
# FS_IMAGE (an ext4 image, e.g. BUILD/bench/fs.img of scripts/bench/fs.sh:
# a file-system benchmark, run on a copy of it as /dev/vda at /mnt).
set -euo pipefail

arch=${1:?usage: profile.sh ARCH BENCH [ITERS] [EXTRA]}
name=${2:?usage: profile.sh ARCH BENCH [ITERS] [EXTRA]}
iters=${3:-20000}
extra=${4:-2}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
kernel=${KERNEL:-$BUILD/$arch/kernel}
out=$BUILD/bench/profile
mkdir -p "$out"

plugin=$out/insn-profile.so
if [ ! -e "$plugin" ] || [ scripts/bench/insn-profile.c -nt "$plugin" ]; then
	gcc -O2 -shared -fPIC -Wall -Wextra -o "$plugin" scripts/bench/insn-profile.c
fi

case "$arch" in
x86_64) machine=(qemu-system-x86_64 -machine q35) blkdev=virtio-blk-pci ;;
riscv64) machine=(qemu-system-riscv64 -machine virt -bios default) blkdev=virtio-blk-device ;;
*) echo "profile: unknown arch $arch" >&2; exit 1 ;;
esac
mode=run
[ -n "${FS_IMAGE:-}" ] && mode=fs

run() { # run TAG REPS
	local tag=$1 reps=$2
	local -a disk=()
	scripts/bench/mkinitramfs.sh "$arch" "$BUILD/$arch" "$out/$arch-$tag.cpio" $mode \
		--only "$name" --iters "$iters" --reps "$reps"
	if [ -n "${FS_IMAGE:-}" ]; then
		cp --sparse=always "$FS_IMAGE" "$out/$arch-$tag.img"
		disk=(-drive "file=$out/$arch-$tag.img,if=none,format=raw,id=d0" -device "$blkdev,drive=d0")
	fi
	timeout 900 "${machine[@]}" "${disk[@]}" -m 512M -smp 1 -nographic -no-reboot -nic none \
		-kernel "$kernel" -initrd "$out/$arch-$tag.cpio" -append "console=ttyS0 quiet" \
		-icount shift=0,sleep=off -rtc base=2024-01-01T00:00:00,clock=vm -seed 1 \
		-plugin "$plugin,out=$out/$arch-$tag.prof" < /dev/null > "$out/$arch-$tag.log" 2>&1 || true
	grep -q '^BENCH_DONE' "$out/$arch-$tag.log" ||
		{ echo "profile: incomplete run, see $out/$arch-$tag.log" >&2; exit 1; }
	grep "^BENCH $name " "$out/$arch-$tag.log" || true
}

run base 1 &
base=$!
run more $((1 + extra)) &
more=$!
wait $base && wait $more || exit 1

nm=nm
[ "$arch" = riscv64 ] && nm=riscv64-linux-gnu-nm
python3 scripts/bench/profile-report.py --nm "$nm" --ops $((iters * extra)) \
	--kernel "$kernel" --user "$BUILD/$arch/bench/ferrite-bench" --top "${TOP:-40}" \
	"$out/$arch-base.prof" "$out/$arch-more.prof"
