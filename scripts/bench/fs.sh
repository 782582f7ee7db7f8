#!/usr/bin/env bash
# The file-system benchmarks (issue 9), Ferrite against Debian's Linux under
# the same QEMU, part of `make bench` (also alone: `make bench-fs`). One
# boot per kernel and architecture under -icount, -smp 1, each with a fresh
# copy of one ext4 image as a virtio-blk disk (/dev/vda, mounted at /mnt by
# scripts/bench/init.sh, mode fs) running `ferrite-bench --fs /mnt`
# (bench/fs.c). Linux is the kernel of scripts/judge/linux-fetch.sh, whose
# virtio and ext4 modules the archive carries (Debian builds them as
# modules); Ferrite ignores them. Then scripts/bench/fs-report.py prints the
# tables and puts them in docs/benchmarks.md (between its markers).
# Logs: BUILD/bench/logs/ARCH-KERNEL-fs.log.
#
# The image: ext4 of 256 MiB, 4 KiB blocks, by Debian's mkfs.ext4
# (scripts/mkdisk.sh), holding tree/: 100 folders of 100 empty files.
#
# Environment: BUILD (default build), BENCH_ARCHES ("x86_64 riscv64"),
# BENCH_FS_REPS (3), BENCH_TIMEOUT (seconds per run, 900), BENCH_FS_KERNELS
# ("linux ferrite"; "ferrite" keeps Linux's last logs, to re-measure Ferrite).
set -euo pipefail
. "$(dirname "$0")/common.sh"
reps=${BENCH_FS_REPS:-3}
# sleep=on here: with sleep=off QEMU jumps the clock over every idle wait
# for the disk to the next timer, which under Linux's tickless idle is
# often tens of seconds away, and the busy figure (elapsed minus idle,
# bench/fs.c) became the small difference of two huge numbers. With
# sleep=on an idle wait lasts what the host's I/O takes.
ICOUNT=(-icount shift=0,sleep=on -rtc base=2024-01-01T00:00:00,clock=vm -seed 1)

image=$out/fs.img
tree=$out/fs-tree
rm -rf "$tree"
for d in $(seq -w 0 99); do
	mkdir -p "$tree/tree/d$d"
	(cd "$tree/tree/d$d" && touch $(seq -f 'f%02g' 0 99))
done
scripts/mkdisk.sh -s 256 -b 4096 "$tree" "$image" > /dev/null
rm -rf "$tree"

# boot LOG ARCH KERNEL: one run with a fresh copy of the image.
boot() {
	local log=$1 arch=$2 kernel=$3
	local -a cmd
	case "$arch" in
	x86_64) cmd=(qemu-system-x86_64 -machine q35) dev=virtio-blk-pci ;;
	riscv64) cmd=(qemu-system-riscv64 -machine virt -bios default) dev=virtio-blk-device ;;
	esac
	cp --sparse=always "$image" "$log.img"
	cmd+=(-m 512M -smp 1 -nographic -no-reboot -nic none -kernel "$kernel"
	      -initrd "$out/$arch-fs.cpio" -append "console=ttyS0 quiet" "${ICOUNT[@]}"
	      -drive "file=$log.img,if=none,format=raw,id=d0" -device "$dev,drive=d0")
	printf '%q ' "${cmd[@]}" > "$log.cmd"
	timeout "$limit" "${cmd[@]}" < /dev/null > "$log" 2>&1 || true
	rm -f "$log.img"
	grep -q '^BENCH_DONE' "$log" || echo "bench-fs: $log: incomplete run (see the log)" >&2
}

for arch in $arches; do
	[ -x "$BUILD/$arch/kernel" ] || { echo "bench-fs: $BUILD/$arch/kernel missing (make all)" >&2; exit 1; }
	scripts/judge/linux-fetch.sh "$arch" "$BUILD/judge/linux/$arch"
	BENCH_MODULES=$BUILD/judge/linux/$arch scripts/bench/mkinitramfs.sh "$arch" "$BUILD/$arch" \
		"$out/$arch-fs.cpio" fs --reps "$reps"
done

# fs_runs ARCH: each kernel in turn (the architectures run at once).
fs_runs() {
	local arch=$1 k kern

	for k in ${BENCH_FS_KERNELS:-linux ferrite}; do
		kern=$BUILD/$arch/kernel
		[ $k = linux ] && kern=$BUILD/judge/linux/$arch/vmlinuz
		echo "bench-fs: $arch $k" >&2
		boot "$logs/$arch-$k-fs.log" "$arch" "$kern"
	done
}
per_arch_parallel fs_runs
python3 scripts/bench/fs-report.py "$out" docs/benchmarks.md "$BUILD/judge/linux"
