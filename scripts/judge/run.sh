#!/usr/bin/env bash
# make judge-riscv / make judge-x86_64 (docs/judge.md): build the judge
# image, boot it with the judges' exact QEMU line, keep the console, boot the
# same image under Debian's Linux (scripts/judge/linux-boot.sh; fallback:
# the programs on this machine's Linux, scripts/judge/linux-ref.sh), and print
# the score table (scripts/judge/score.py). Exit status: score.py's (1 when
# Ferrite's run is incomplete or a case passing under Linux fails).
#
# Usage: scripts/judge/run.sh ARCH [small]
#   BUILD (default build), JUDGE_LIMIT (seconds for the whole boot, default
#   3600: the judges' hour), QEMU_EXTRA (more QEMU options, e.g. -smp 2).
set -euo pipefail

arch=${1:?usage: run.sh ARCH [small]}
size=${2:-full}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top"
build=${BUILD:-build}
limit=${JUDGE_LIMIT:-3600}
dir=$build/judge
img=$dir/$arch-$size.img
mkdir -p "$dir"

"$here/mkimage.sh" "$arch" "$img" "$size"

net_dev=virtio-net-pci
blk_dev=virtio-blk-pci
case "$arch" in
riscv64)
	qemu=(qemu-system-riscv64 -machine virt -kernel kernel-rv -m 1G -nographic -smp 1 -bios default
	      -drive "file=$img,if=none,format=raw,id=x0"
	      -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0 -no-reboot
	      -device virtio-net-device,netdev=net -netdev user,id=net -rtc base=utc)
	;;
x86_64)
	qemu=(qemu-system-x86_64 -machine q35 -kernel kernel-x86_64 -m 1G -nographic -smp 1
	      -drive "file=$img,if=none,format=raw,id=x0"
	      -device "$blk_dev,drive=x0" -no-reboot
	      -device "$net_dev,netdev=net" -netdev user,id=net -rtc base=utc)
	;;
*)
	echo "judge: unknown arch $arch" >&2
	exit 1
	;;
esac

log=$dir/$arch-$size-ferrite.log
echo "judge: ${qemu[*]} ${QEMU_EXTRA:-}" >&2
start=$(date +%s.%N)
# shellcheck disable=SC2086
timeout "$limit" "${qemu[@]}" ${QEMU_EXTRA:-} < /dev/null 2>&1 | python3 "$here/stamp.py" "$log" ||
	echo "judge: QEMU ended with status $? (124: the $limit s limit)" >&2
# What Ferrite wrote on the disk must be a consistent ext4 (e2fsck, no changes).
if e2fsck -fn "$img" > "$dir/$arch-$size-e2fsck.log" 2>&1; then
	echo "judge: e2fsck -fn of the disk after Ferrite's run: clean" >&2
else
	echo "judge: e2fsck -fn of the disk after Ferrite's run found problems ($dir/$arch-$size-e2fsck.log)" >&2
	echo "INCOMPLETE e2fsck: the disk Ferrite wrote is not consistent" >> "$log"
fi
echo "judge: Ferrite's run took $(echo "$(date +%s.%N) $start" | awk '{ printf "%.1f", $1 - $2 }') s (console: $log)" >&2

# Linux: Debian's kernel booting the same disk under the same QEMU line
# (linux-boot.sh), its console kept per content of the image's tree, so a
# second run with the same programs does not boot Linux again. When the
# kernel cannot be fetched: the programs on this machine's Linux instead
# (linux-ref.sh), and the table says so.
stage=$build/judge/$arch-$size/root
hash=$( (cd "$stage" && find . -type f -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)
ref=$dir/linux/$arch/ref-$size-$hash.log
linux_kind="Debian's Linux, same QEMU line"
if [ ! -s "$ref" ]; then
	mkdir -p "$dir/linux/$arch"
	status=0
	BUILD="$build" "$here/linux-boot.sh" "$arch" "$img" "$ref.tmp" || status=$?
	if [ $status -eq 0 ] && grep -q "all scripts done" "$ref.tmp"; then
		mv "$ref.tmp" "$ref"
	else
		echo "judge: Debian's Linux could not run the disk (status $status): the programs on this machine's Linux instead" >&2
		rm -f "$ref.tmp"
		ref=$dir/$arch-$size-linux-host.log
		"$here/linux-ref.sh" "$arch" "$stage" "$ref" || echo "judge: the Linux reference run failed" >&2
		linux_kind="this machine's Linux, $([ "$arch" = x86_64 ] && echo native || echo qemu-riscv64 user mode)"
	fi
else
	echo "judge: Linux's run of this image's content: $ref (cached)" >&2
fi
python3 "$here/score.py" "$log" --linux "$ref" --title "judge $arch ($size): Ferrite and Linux ($linux_kind), QEMU TCG"
