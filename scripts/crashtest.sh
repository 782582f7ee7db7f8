#!/usr/bin/env bash
# The power-cut test (issue 9): QEMU runs the guest writer
# (user/tests/crash_writer.c) on a fresh ext4 disk and is killed at a
# random moment; then
#   1. a copy of the image is replayed by e2fsck -fy, must then be
#      e2fsck -fn clean, and hold every file the writer reported fsync'ed
#      (scripts/crash-check.py);
#   2. Ferrite boots on the image as the cut left it, mounts it (its own
#      journal replay) and reads every file (user/tests/crash_reader.c),
#      and the image is e2fsck -fn clean afterwards.
#
# Usage: scripts/crashtest.sh CUTS [ARCH...]   (ARCH: riscv64 x86_64; default both)
# Prints "PASS crash-ARCH-N" / "FAIL crash-ARCH-N: why" per cut and a last
# line "crashtest: N passed, N failed". Environment: BUILD (default build),
# CRASH_SEED (the random kill times; default the date), CRASH_BLOCK
# (1024 or 4096; default alternates).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export PATH=$PATH:/sbin:/usr/sbin
cuts=${1:-50}
shift || true
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(riscv64 x86_64)
RANDOM=${CRASH_SEED:-$(date +%s)}
dir=$BUILD/crashtest
mkdir -p "$dir/empty"
pass=0
fail=0

qemu_cmd() { # arch image init
	case $1 in
	riscv64)
		echo qemu-system-riscv64 -machine virt -kernel "$BUILD/riscv64/kernel" \
			-initrd "$BUILD/riscv64/user/tests.cpio" -m 512M -nographic -bios default \
			-append "init=/tests/$3" -drive "file=$2,if=none,format=raw,id=x0" \
			-device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0 ;;
	x86_64)
		echo qemu-system-x86_64 -machine q35 -kernel "$BUILD/x86_64/kernel" \
			-initrd "$BUILD/x86_64/user/tests.cpio" -m 512M -nographic \
			-append "init=/tests/$3" -drive "file=$2,if=none,format=raw,id=x0" \
			-device virtio-blk-pci,drive=x0 ;;
	esac
}

one_cut() { # arch n
	local arch=$1 n=$2 img=$dir/$1-$2.img log=$dir/$1-$2.log block
	block=${CRASH_BLOCK:-$(( (n + 1) / 2 % 2 ? 4096 : 1024 ))} # each arch gets both
	scripts/mkdisk.sh -s 32 -b "$block" "$dir/empty" "$img" > /dev/null &&
		tune2fs -L ferrite-crash "$img" > /dev/null || { echo "mkdisk failed"; return 1; }
	# The writer, killed after 1.5..9.5 s of writing.
	local delay=$(( 1500 + RANDOM % 8000 ))
	# shellcheck disable=SC2046
	$(qemu_cmd "$arch" "$img" crash_writer) < /dev/null > "$log" 2>&1 &
	local qpid=$! waited=0
	while ! grep -q "WRITER STARTED" "$log" 2>/dev/null; do
		sleep 0.2
		waited=$((waited + 1))
		if [ $waited -gt 300 ] || ! kill -0 $qpid 2>/dev/null; then
			kill -9 $qpid 2>/dev/null; wait $qpid 2>/dev/null
			echo "the writer did not start (log $log)"; return 1
		fi
	done
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -9 $qpid 2>/dev/null
	wait $qpid 2>/dev/null
	local synced
	synced=$(grep -c '^SYNCED ' "$log")
	if grep -q "KERNEL PANIC\|FAIL:" "$log"; then
		echo "the writer failed before the cut: $(grep -m1 'KERNEL PANIC\|FAIL:' "$log")"; return 1
	fi
	# 1. e2fsprogs' replay, then clean, then the fsync'ed files.
	cp "$img" "$img.host"
	local st out
	e2fsck -fy "$img.host" > "$log.fsck-y" 2>&1; st=$?
	[ $st -le 1 ] || { echo "e2fsck -fy exit $st ($log.fsck-y)"; return 1; }
	if ! out=$(e2fsck -fn "$img.host" 2>&1); then
		echo "e2fsck -fn after e2fsck's replay: $(echo "$out" | tail -3 | tr '\n' ' ')"; return 1
	fi
	out=$(python3 scripts/crash-check.py "$log" "$img.host") || { echo "$out"; return 1; }
	# 2. Ferrite replays the cut image itself and reads it.
	timeout 120 $(qemu_cmd "$arch" "$img" crash_reader) < /dev/null > "$log.reader" 2>&1
	grep -q "READER OK" "$log.reader" ||
		{ echo "Ferrite could not mount and read the cut image: $(grep -m1 'FAIL:\|PANIC\|error' "$log.reader")"; return 1; }
	if ! out=$(e2fsck -fn "$img" 2>&1); then
		echo "e2fsck -fn after Ferrite's replay: $(echo "$out" | tail -3 | tr '\n' ' ')"; return 1
	fi
	echo "$block-byte blocks, cut after ${delay} ms: $synced fsync'ed files, $(grep -o 'READER OK [0-9]*' "$log.reader")"
	rm -f "$img" "$img.host"
	return 0
}

for ((n = 1; n <= cuts; n++)); do
	arch=${arches[$(( (n - 1) % ${#arches[@]} ))]}
	if why=$(one_cut "$arch" "$n"); then
		echo "PASS crash-$arch-$n ($why)"
		pass=$((pass + 1))
	else
		echo "FAIL crash-$arch-$n: $why"
		fail=$((fail + 1))
	fi
done
echo "crashtest: $pass passed, $fail failed"
[ $fail -eq 0 ]
