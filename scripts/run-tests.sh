#!/usr/bin/env bash
# Ferrite's whole test run, what `make test` runs after building everything.
#
# Suites (each prints "== SUITE: N passed, N failed, N skipped"):
#   host            meson test -C build/host (cmocka, ASan+UBSan)
#   linux-reference the guest tests on Linux, both architectures
#   boot-riscv64    OpenSBI -bios default (-smp 1 and 4), fw_jump.elf, U-Boot;
#                   the judges' disk line (virtio-blk + virtio-net), modern
#                   virtio-mmio with two disks, a read-only disk
#                   (the disks are ext4 images made by scripts/mkdisk.sh),
#                   root on ext4 and root on FAT32 (rv-root-fat, fsck'ed)
#   boot-x86_64     -kernel on q35 and pc, the GRUB ISO; the judges' disk
#                   line on q35, two disks on pc
#                   (both boot suites: the out-of-memory test at -m 64M,
#                   and a 512 MiB file read at -m 128M: bigread_test)
#   guest-riscv64   init=/tests/runner inside Ferrite, one count per test;
#                   disks: the blk scratch image, the ext4 test image, a
#                   FAT32 image the fat test writes (then fsck.fat -n and
#                   mtools check it: fat-fsck, fat-files)
#   guest-x86_64    the same on x86_64
#   guest-smp4-riscv64  every guest test again at -smp 4, same disks, on the
#                   debug kernel (build/riscv64-debug: lock-order validator,
#                   kmalloc red zones and poison; docs/locking.md)
#   guest-smp4-x86_64   the same on x86_64
#   (every guest run fails on a validator or kmalloc report, or a WARN_ON)
#   crash           the power-cut test: 2 QEMU runs per arch of a writer
#                   with fsync points killed at random (scripts/crashtest.sh)
#   fuzz-riscv64    the syscall fuzzer as init (scripts/fuzz.sh), fixed
#                   seeds, once plain, once with fault injection and once
#                   at -smp 4: one count per seed, plus no panic, no
#                   warning, a verdict; on the debug kernel
#   fuzz-x86_64     the same on x86_64
#   judge-riscv64   competition mode (docs/judge.md): the small judge image
#                   booted with the judges' line, every case that passes in
#                   the Linux reference must pass; and the runner's rules
#                   (order, per-script limit, a crash, power off)
#   judge-x86_64    the same on x86_64
#   stress-riscv64  the SMP stress program (user/tests/stress.c) on Linux for
#                   a few seconds, then as init inside Ferrite at -smp 4 for
#                   STRESS_S seconds (default 60): IPC across CPUs with
#                   checksums, leak counters back at the end (make stress:
#                   several minutes)
#   stress-x86_64   the same on x86_64
# The last line is "N passed, N failed, N skipped" over all suites; the exit status is
# non-zero when anything failed. Every QEMU run is bounded by a timeout and
# its serial log is kept in build/test-logs/ (its tail is printed on failure).
#
# Usage: scripts/run-tests.sh [SUITE...]    (default: all suites)
# Environment: BUILD (default build), QEMU_TIMEOUT (seconds, default 120),
# FUZZ_TEST_S / FUZZ_FI_S / FUZZ_SMP_S / FUZZ_NTH_S (the bounded fuzz's
# seconds per arch without and with fault injection, at -smp 4, and of
# fail-nth sweeps; default 16, 12, 16, 8), FUZZ_TEST_SEEDS, FUZZ_FI_SEEDS,
# FUZZ_SMP_SEEDS, FUZZ_NTH_SEEDS, FUZZ_NTH_K, FUZZ_FAILSLAB,
# DEBUG_KERNELS (non-empty: the -smp 1 guest suites on the debug kernels too).
set -uo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
QEMU_TIMEOUT=${QEMU_TIMEOUT:-120}
LOGS=$BUILD/test-logs
# The kernels of this build (`make` also copies them to the top directory).
KERNEL_RV=$BUILD/riscv64/kernel
KERNEL_X86=$BUILD/x86_64/kernel
# The debug kernels (make debug; meson -Ddebug_checks=true).
KERNEL_RV_DEBUG=$BUILD/riscv64-debug/kernel
KERNEL_X86_DEBUG=$BUILD/x86_64-debug/kernel
# Report lines of the debug kernels' checks (and WARN_ON) fail a guest run.
KERNEL_REPORT='BUG: (lockdep|kmalloc)|WARN_ON\(|lockdep: out of'
# The guest tests, an -initrd unpacked over the kernel's built-in archive.
TESTS_RV=$BUILD/riscv64/user/tests.cpio
TESTS_X86=$BUILD/x86_64/user/tests.cpio
mkdir -p "$LOGS"

total_pass=0
total_skip=0
total_fail=0
suite_pass=0
suite_skip=0
suite_fail=0
# Shell input for the boot tests; the marker must appear alone on a line
# (the echoed command line has "echo " before it, so it cannot match).
BOOT_INPUT=$'echo FERRITE_BOOT_OK\npoweroff -f\n'
BOOT_MARKER=FERRITE_BOOT_OK
# Disk boots: the marker only when /dev/vda is a block device that reads.
DISK_BOOT_INPUT=$'test -b /dev/vda && dd if=/dev/vda of=/dev/null bs=4096 count=16 && echo FERRITE_BOOT_OK\npoweroff -f\n'
# Two disks: vda and vdb, both readable.
DISK2_BOOT_INPUT=$'test -b /dev/vda && test -b /dev/vdb && dd if=/dev/vdb of=/dev/null bs=4096 count=16 && echo FERRITE_BOOT_OK\npoweroff -f\n'
# A read-only disk: reads work, opening it for writing fails.
RO_BOOT_INPUT=$'dd if=/dev/vda of=/dev/null count=1 && ! dd if=/dev/zero of=/dev/vda count=1 && echo FERRITE_BOOT_OK\npoweroff -f\n'
# The judges' disk fragments, with a virtio-net beside (as their riscv64 line).
rv_disk() {
	echo -drive "file=$1,if=none,format=raw,id=x0${2:+,$2}" \
		-device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0 \
		-device virtio-net-device,netdev=net -netdev user,id=net
}
x86_disk() {
	echo -drive "file=$1,if=none,format=raw,id=x0" -device virtio-blk-pci,drive=x0 \
		-device virtio-net-pci,netdev=net -netdev user,id=net
}
# A small ext4 image made by scripts/mkdisk.sh, fresh for each run.
boot_disk() {
	local img=$BUILD/test-disks/boot-$1.img
	mkdir -p "$BUILD/test-disks/boot-folder"
	echo "made by run-tests.sh" > "$BUILD/test-disks/boot-folder/README"
	scripts/mkdisk.sh -s 16 "$BUILD/test-disks/boot-folder" "$img" > /dev/null && echo "$img"
}

# The busybox prompt (PS1 from /etc/profile in the initramfs).
SHELL_PROMPT='ferrite:[^ ]*# '

suite_begin() {
	suite_pass=0
	suite_fail=0
	suite_skip=0
	echo
	echo "=== suite $1"
}

suite_end() {
	echo "== $1: $suite_pass passed, $suite_fail failed, $suite_skip skipped"
	total_pass=$((total_pass + suite_pass))
	total_skip=$((total_skip + suite_skip))
	total_fail=$((total_fail + suite_fail))
}

pass() {
	echo "PASS $1"
	suite_pass=$((suite_pass + 1))
}

# A test that only runs inside Ferrite, seen on Linux.
skip() {
	echo "SKIP $1"
	suite_skip=$((suite_skip + 1))
}

fail() {
	echo "FAIL $1${2:+ ($2)}"
	suite_fail=$((suite_fail + 1))
}

show_tail() {
	echo "---- last 40 lines of $1 ----"
	tail -n 40 "$1" | tr -d '\r'
	echo "---- end of $1 ----"
}

# run_qemu LOG INPUT STOP_REGEX CMD...
# Runs CMD with INPUT on stdin and its output in LOG, for at most
# QEMU_TIMEOUT seconds. Once STOP_REGEX appears in LOG the guest gets 10 s
# to power off by itself before it is stopped. Returns CMD's status, or 124
# on the timeout.
run_qemu() {
	local log=$1 input=$2 stop=$3
	shift 3
	echo "\$ $*" > "$log.cmd"
	# QEMU reads the serial input from a FIFO we keep open; the input is
	# typed only once the shell prompt shows, as a person would type it.
	local dir fifo wfd
	dir=$(mktemp -d)
	fifo=$dir/stdin
	mkfifo "$fifo"
	timeout --kill-after=5 "$QEMU_TIMEOUT" "$@" < "$fifo" > "$log" 2>&1 &
	local pid=$! waited=0 seen_at=-1 typed=0
	exec {wfd}>"$fifo"
	rm -rf "$dir"
	[ -z "$input" ] && typed=1
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		waited=$((waited + 1))
		if [ $typed = 0 ] && tr -d '\r' < "$log" | grep -Eq -- "$SHELL_PROMPT"; then
			printf '%s' "$input" >&"$wfd"
			typed=1
		fi
		if [ "$seen_at" -lt 0 ] && tr -d '\r' < "$log" | grep -Eq -- "$stop"; then
			seen_at=$waited
		fi
		if [ "$seen_at" -ge 0 ] && [ $((waited - seen_at)) -ge 10 ]; then
			echo "note: $(basename "$log"): guest did not power off; stopping QEMU"
			kill -TERM "$pid" 2>/dev/null	# timeout passes it on to QEMU
			break
		fi
	done
	wait "$pid"
	local rc=$?
	exec {wfd}>&-
	return $rc
}

# Root on disk (root=/dev/vda, docs/ext4.md): an ext4 image (or FAT32 when
# the fourth argument is vfat, docs/fat.md) whose /sbin/init is INIT (a
# file); the initramfs's /dev, /proc and /tmp must show through the disk's
# directories of those names.
root_disk() {
	local dir=$BUILD/test-disks/root-$1 img=$BUILD/test-disks/root-$1.img
	rm -rf "$dir"
	mkdir -p "$dir/sbin" "$dir/bin" "$dir/dev" "$dir/proc" "$dir/tmp" "$dir/etc"
	cp "$2" "$dir/sbin/init" && chmod 755 "$dir/sbin/init" || return 1
	[ -z "${3:-}" ] || cp "$3" "$dir/bin/busybox" || return 1
	echo "on the disk" > "$dir/etc/motd"
	if [ "${4:-ext4}" = vfat ]; then
		scripts/mkdisk.sh -t vfat -s 40 "$dir" "$img" > /dev/null && echo "$img"
	else
		scripts/mkdisk.sh -s 16 "$dir" "$img" > /dev/null && echo "$img"
	fi
}

# root_disk_test NAME PATTERN CMD...: boot, wait for a line matching PATTERN.
root_disk_test() {
	local name=$1 pattern=$2
	shift 2
	local log=$LOGS/$name.log
	run_qemu "$log" "" "$pattern" "$@"
	if tr -d '\r' < "$log" | grep -Eq "$pattern"; then
		pass "$name"
	else
		fail "$name" "no line matching $pattern"
		show_tail "$log"
	fi
}

# boot_test NAME CMD...: boot to the shell, run one command, power off.
# BOOT_TEST_INPUT replaces that command (disk boots).
boot_test() {
	local name=$1
	shift
	local log=$LOGS/$name.log
	run_qemu "$log" "${BOOT_TEST_INPUT:-$BOOT_INPUT}" "^$BOOT_MARKER\$" "$@"
	local rc=$?
	if tr -d '\r' < "$log" | grep -qx "$BOOT_MARKER"; then
		pass "$name"
	else
		if [ $rc -eq 124 ]; then
			fail "$name" "no $BOOT_MARKER within ${QEMU_TIMEOUT}s"
		else
			fail "$name" "no $BOOT_MARKER, QEMU exit $rc"
		fi
		show_tail "$log"
	fi
}

# Boot with the large initramfs (scripts/mkbigrd.py, > 8 MiB gzip'd) whose
# init checks every file, then with a copy cut in the middle of its gzip'd
# part: the boot must report the bad archive and still run the checker.
bigrd_tests() {
	local prefix=$1 rd=$2
	shift 2
	local log=$LOGS/$prefix-bigrd.log
	need_file "$prefix-bigrd" "$rd" || return
	run_qemu "$log" "" '^BIGRD_(OK|FAIL)$' "$@" -initrd "$rd" -append "init=/bigrd/check"
	if tr -d '\r' < "$log" | grep -qx BIGRD_OK; then
		pass "$prefix-bigrd"
	else
		fail "$prefix-bigrd" "no BIGRD_OK"
		show_tail "$log"
	fi
	local cut=$LOGS/$prefix-bigrd-cut.cpio.gz
	head -c $(($(stat -c %s "$rd") * 3 / 5)) "$rd" > "$cut"
	log=$LOGS/$prefix-bigrd-cut.log
	run_qemu "$log" "" '^BIGRD_(OK|FAIL)$' "$@" -initrd "$cut" -append "init=/bigrd/check"
	if tr -d '\r' < "$log" | grep -q 'initramfs: corrupt or truncated gzip member' &&
	   tr -d '\r' < "$log" | grep -qx BIGRD_FAIL; then
		pass "$prefix-bigrd-truncated"
	else
		fail "$prefix-bigrd-truncated" "no error message or no boot after it"
		show_tail "$log"
	fi
	rm -f "$cut"
}

# The guest panics on purpose (init=/tests/sysrq_crash, ferrite.sysrq=1)
# under -no-reboot. want=exit: panic=N (N != 0) must reboot, so QEMU exits
# by itself within 25 s; want=halt: panic=0 halts and QEMU keeps running.
panic_test() {
	local name=$1 want=$2
	shift 2
	local log=$LOGS/$name.log t=0 alive=0
	echo "\$ $*" > "$log.cmd"
	timeout --kill-after=5 60 "$@" < /dev/null > "$log" 2>&1 &
	local pid=$!
	while kill -0 "$pid" 2>/dev/null && [ $t -lt 25 ]; do
		sleep 1
		t=$((t + 1))
		if [ "$want" = halt ] && tr -d '\r' < "$log" | grep -q '^System halted'; then
			sleep 2
			break
		fi
	done
	kill -0 "$pid" 2>/dev/null && alive=1
	[ $alive = 1 ] && kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	local clean
	clean=$(tr -d '\r' < "$log")
	if ! grep -q "${PANIC_WANT:-KERNEL PANIC: sysrq triggered crash}" <<< "$clean"; then
		fail "$name" "no panic: ${PANIC_WANT:-KERNEL PANIC: sysrq triggered crash}"
		show_tail "$log"
	elif [ "$want" = exit ] && [ $alive = 1 ]; then
		fail "$name" "QEMU still running ${t}s after the panic"
		show_tail "$log"
	elif [ "$want" = exit ] && ! grep -q '^Rebooting\.' <<< "$clean"; then
		fail "$name" "no reboot message"
		show_tail "$log"
	elif [ "$want" = halt ] && [ $alive = 0 ]; then
		fail "$name" "QEMU exited: panic=0 must halt"
		show_tail "$log"
	else
		pass "$name"
	fi
}

panic_tests() {
	local prefix=$1 tests=$2
	shift 2
	need_file "$prefix-panic" "$tests" || return
	local a="init=/tests/sysrq_crash ferrite.sysrq=1"
	panic_test "$prefix-panic-reboot" exit "$@" -initrd "$tests" -no-reboot -append "$a panic=-1"
	panic_test "$prefix-panic-timeout" exit "$@" -initrd "$tests" -no-reboot -append "$a panic=1"
	panic_test "$prefix-panic-halt" halt "$@" -initrd "$tests" -no-reboot -append "$a panic=0"
	# The stack protector (issue 13): a kernel frame returning with a
	# canary that no longer matches must panic (and reboot, panic=-1).
	PANIC_WANT='KERNEL PANIC: stack-protector: kernel stack corrupted' \
		panic_test "$prefix-stack-protector" exit "$@" -initrd "$tests" -no-reboot \
		-append "init=/tests/stack_smash ferrite.sysrq=1 panic=-1"
	# Guard pages below kernel stacks (issue 13): a kernel recursion runs
	# into the guard; the overflow is reported on an emergency stack
	# (x86_64 #DF on IST1, riscv64 trap entry) naming the task, then panics.
	PANIC_WANT='KERNEL PANIC: kernel stack overflow in tid 1 (stack_overflow)' \
		panic_test "$prefix-stack-guard" exit "$@" -initrd "$tests" -no-reboot \
		-append "init=/tests/stack_overflow ferrite.sysrq=1 panic=-1"
	# The same on an idle task's stack: the boot stack (one CPU), and a
	# secondary CPU's idle stack (-smp 2, the last CPU recurses).
	PANIC_WANT='KERNEL PANIC: kernel stack overflow in the idle task of cpu 0' \
		panic_test "$prefix-boot-stack-guard" exit "$@" -initrd "$tests" -no-reboot \
		-append "init=/tests/stack_overflow ferrite.sysrq=1 panic=-1 idle-stack-overflow"
	PANIC_WANT='KERNEL PANIC: kernel stack overflow in the idle task of cpu 1' \
		panic_test "$prefix-idle-stack-guard" exit "$@" -smp 2 -initrd "$tests" -no-reboot \
		-append "init=/tests/stack_overflow ferrite.sysrq=1 panic=-1 idle-stack-overflow"
}

# Out of memory at -m 64M (issue 13, the small marked test): init is
# /tests/oom_hog in a small archive of its own (the test archive would not
# fit). Its hogs (anonymous memory, shm, pipes, threads, a fork bomb) must
# end in an errno or the OOM killer, the console must name a victim, and
# the machine must live on to print OOM_OK and power off.
oom_test() {
	local prefix=$1 prog=$2
	shift 2
	local log=$LOGS/$prefix-oom-64M.log rd=$LOGS/$prefix-oom.cpio clean
	need_file "$prefix-oom-64M" "$prog" || return
	if ! python3 scripts/mkinitramfs.py "$rd" --file "tests/oom_hog=$prog"; then
		fail "$prefix-oom-64M" "mkinitramfs.py failed"
		return
	fi
	run_qemu "$log" "" '^OOM_(OK|FAIL)$' "$@" -m 64M -no-reboot -initrd "$rd" \
		-append "init=/tests/oom_hog"
	clean=$(tr -d '\r' < "$log")
	if grep -q 'KERNEL PANIC' <<< "$clean"; then
		fail "$prefix-oom-64M" "kernel panic"
		show_tail "$log"
	elif ! grep -q 'Out of memory: Killed process' <<< "$clean"; then
		fail "$prefix-oom-64M" "the console named no victim"
		show_tail "$log"
	elif ! grep -qx OOM_OK <<< "$clean"; then
		fail "$prefix-oom-64M" "no OOM_OK"
		show_tail "$log"
	else
		pass "$prefix-oom-64M"
	fi
	rm -f "$rd"
}

# The big-file test (issue 9, page cache reclaim): at -m 128M init is
# /tests/bigread in a small archive of its own; it reads and checks (by
# read(2), then mmap windows) a BIGREAD_MIB file (default 512 MiB) on an
# ext4 disk made here by scripts/mkdisk.sh, whose 8-byte words hold their
# index. It must print BIGREAD_OK. The image is deleted afterwards.
BIGREAD_MIB=${BIGREAD_MIB:-512}
bigread_test() {
	local prefix=$1 prog=$2 dev=$3
	shift 3
	local name=$prefix-bigread-128M
	local log=$LOGS/$name.log rd=$LOGS/$prefix-bigread.cpio dir=$BUILD/test-disks/big-folder
	local img=$BUILD/test-disks/big-$prefix.img
	need_file "$name" "$prog" || return
	rm -rf "$dir" && mkdir -p "$dir"
	if ! python3 scripts/mkinitramfs.py "$rd" --file "tests/bigread=$prog" ||
		! python3 -c 'import array, sys
w = 1 << 17
with open(sys.argv[1], "wb") as f:
    for i in range(int(sys.argv[2])):
        array.array("Q", range(i * w, (i + 1) * w)).tofile(f)' "$dir/big.bin" "$BIGREAD_MIB" ||
		! scripts/mkdisk.sh -L ferrite-big -s $((BIGREAD_MIB + BIGREAD_MIB / 8 + 16)) "$dir" "$img" > /dev/null; then
		fail "$name" "making the archive or the disk failed"
		rm -rf "$dir" "$rd" "$img"
		return
	fi
	rm -rf "$dir"
	run_qemu "$log" "" '^BIGREAD_(OK|FAIL)$' "$@" -m 128M -no-reboot -initrd "$rd" \
		-drive "file=$img,if=none,format=raw,id=xb,readonly=on" -device "$dev,drive=xb" \
		-append "init=/tests/bigread"
	if tr -d '\r' < "$log" | grep -qx BIGREAD_OK; then
		pass "$name"
	else
		fail "$name" "no BIGREAD_OK"
		show_tail "$log"
	fi
	rm -f "$rd" "$img"
}

need_file() {
	if [ ! -e "$2" ]; then
		fail "$1" "$2 missing"
		return 1
	fi
}

# The guest test names, from their group files in user/tests (the order of
# test_groups in user/tests/meson.build does not matter for counting).
guest_test_names() {
	local g
	for g in $(sed -n "s/^test_groups = \[\(.*\)\]/\1/p" user/tests/meson.build | tr -d "'," ); do
		grep -v '^[[:space:]]*\(#\|$\)' "user/tests/$g.tests"
	done
}

# count_runner_lines LOG PREFIX: turn the runner's PASS/FAIL lines in LOG
# into counts; expected tests that never reported count as failures.
count_runner_lines() {
	local log=$1 prefix=$2 name line
	local clean
	clean=$(tr -d '\r' < "$log")
	for name in $(guest_test_names); do
		line=$(grep -E "^(PASS|FAIL|SKIP) $name( |\$)" <<< "$clean" | tail -n1)
		case "$line" in
		PASS*) pass "$prefix/$name" ;;
		SKIP*) skip "$prefix/$name" ;;
		FAIL*)
			line=${line#FAIL "$name" (}
			fail "$prefix/$name" "${line%)}"
			;;
		*) fail "$prefix/$name" "no result" ;;
		esac
	done
	if ! grep -Eq '^tests: [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' <<< "$clean"; then
		fail "$prefix/runner" "no closing line"
		return 1
	fi
	return 0
}

suite_host() {
	suite_begin host
	local log=$LOGS/host.log
	if [ ! -f "$BUILD/host/build.ninja" ]; then
		fail host "$BUILD/host not set up"
	else
		meson test -C "$BUILD/host" --print-errorlogs > "$log" 2>&1
		local rc=$?
		cat "$log"
		local ok bad
		ok=$(sed -n 's/^Ok: *\([0-9]*\) *$/\1/p' "$log" | tail -n1)
		bad=0
		for k in Fail Timeout 'Unexpected Pass'; do
			local n
			n=$(sed -n "s/^$k: *\([0-9]*\) *\$/\1/p" "$log" | tail -n1)
			bad=$((bad + ${n:-0}))
		done
		suite_pass=$((suite_pass + ${ok:-0}))
		suite_fail=$((suite_fail + bad))
		if [ $rc -ne 0 ] && [ "$bad" -eq 0 ]; then
			fail host "meson test exit $rc"
		fi
		if [ -z "$ok" ] && [ $rc -eq 0 ]; then
			echo "note: meson test ran no test"
		fi
	fi
	suite_end host
}

suite_linux_reference() {
	suite_begin linux-reference
	local arch
	# the Debian tests' sysroot (found by them from their own path)
	scripts/fetch-debian-programs.sh x86_64 "$BUILD/debian-x86_64" ||
		echo "note: no Debian sysroot: the debian_* tests skip on Linux"
	for arch in riscv64 x86_64; do
		local log=$LOGS/linux-$arch.log
		scripts/linux-check.sh "$arch" "$BUILD/$arch" > "$log" 2>&1
		count_runner_lines "$log" "linux-$arch" || show_tail "$log"
		grep -q '^FAIL' "$log" && show_tail "$log"
	done
	suite_end linux-reference
}

# The debug kernel's checks (docs/locking.md): booted with
# ferrite.selftest=lockdep and =kmalloc, it must report each planted fault
# (two lock-order inversions, a sleep with a spinlock held, a release of a
# lock not held, a mutex inversion; a red zone write, a write after free
# found by the check of every slab and again at reallocation, a write into
# a wholly freed slab found when the slab is given back, a double free), then reach the shell, where /proc/ferrite/kmalloc_check passes.
DEBUG_SELFTEST_INPUT=$'cat /proc/ferrite/lockdep; echo 1 > /proc/ferrite/kmalloc_check && echo FERRITE_BOOT_OK\npoweroff -f\n'
debug_selftest_test() {
	local name=$1 kernel=$2
	shift 2
	local log=$LOGS/$name.log clean want missing=
	need_file "$name" "$kernel" || return
	run_qemu "$log" "$DEBUG_SELFTEST_INPUT" "^$BOOT_MARKER\$" "$@" -kernel "$kernel" \
		-append "ferrite.selftest=lockdep ferrite.selftest=kmalloc"
	clean=$(tr -d '\r' < "$log")
	for want in 'BUG: lockdep: lock order inversion' 'BUG: lockdep: sleeping \(schedule\) with a spinlock held' \
		'BUG: lockdep: releasing spinlock "selftest_c"' 'taking mutex of' \
		'lockdep selftest: 5 of 5 reported' 'BUG: kmalloc: red zone overwritten' \
		'BUG: kmalloc: use after free: .* \(found by kmalloc_check\)' \
		'BUG: kmalloc: use after free: .* \(found at allocation\)' \
		'BUG: kmalloc: use after free: .* of kmalloc-2048 .*\(found when its empty slab was freed\)' \
		'BUG: kmalloc: kfree\(.*\) of an object that is not allocated' \
		'kmalloc selftest: done' 'kmalloc_check: 0 bad objects' "^$BOOT_MARKER\$"; do
		grep -Eq -- "$want" <<< "$clean" || missing+="${missing:+, }$want"
	done
	if [ "$(grep -c 'BUG: lockdep: lock order inversion' <<< "$clean")" != 3 ]; then
		missing+="${missing:+, }three inversions"
	fi
	if [ -n "$missing" ]; then
		fail "$name" "missing: $missing"
		show_tail "$log"
	else
		pass "$name"
	fi
}

suite_boot_riscv64() {
	suite_begin boot-riscv64
	local q=(qemu-system-riscv64 -machine virt -m 1G -nographic)
	local fw_jump=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf
	if need_file boot-riscv64 "$KERNEL_RV"; then
		boot_test rv-opensbi-smp1 "${q[@]}" -kernel "$KERNEL_RV" -bios default -smp 1
		boot_test rv-opensbi-smp4 "${q[@]}" -kernel "$KERNEL_RV" -bios default -smp 4
		debug_selftest_test rv-debug-selftest "$KERNEL_RV_DEBUG" "${q[@]}" -bios default -smp 2
		boot_test rv-fw_jump "${q[@]}" -kernel "$KERNEL_RV" -bios "$fw_jump" -smp 1
		bigrd_tests rv "$BUILD/riscv64/user/bigrd.cpio.gz" "${q[@]}" -kernel "$KERNEL_RV" \
			-bios default -no-reboot
		panic_tests rv "$TESTS_RV" "${q[@]}" -kernel "$KERNEL_RV" -bios default
		oom_test rv "$BUILD/riscv64/user/tests/oom_hog" "${q[@]}" -kernel "$KERNEL_RV" \
			-bios default
		bigread_test rv "$BUILD/riscv64/user/tests/bigread" virtio-blk-device "${q[@]}" \
			-kernel "$KERNEL_RV" -bios default
		local img out
		if img=$(boot_disk rv); then
			# shellcheck disable=SC2046
			BOOT_TEST_INPUT=$DISK_BOOT_INPUT boot_test rv-disk-judges "${q[@]}" \
				-kernel "$KERNEL_RV" -bios default -smp 1 $(rv_disk "$img")
			# shellcheck disable=SC2046
			BOOT_TEST_INPUT=$DISK2_BOOT_INPUT boot_test rv-disk-modern-two "${q[@]}" \
				-kernel "$KERNEL_RV" -bios default -smp 1 \
				-global virtio-mmio.force-legacy=false $(rv_disk "$img") \
				-drive "file=$(boot_disk rv2),if=none,format=raw,id=x1" \
				-device virtio-blk-device,drive=x1
			# shellcheck disable=SC2046
			BOOT_TEST_INPUT=$RO_BOOT_INPUT boot_test rv-disk-readonly "${q[@]}" \
				-kernel "$KERNEL_RV" -bios default -smp 1 $(rv_disk "$img" readonly=on)
		else
			fail rv-disk "scripts/mkdisk.sh failed"
		fi
		if img=$(root_disk rv scripts/root-disk-init.sh "$BUILD/riscv64/user/busybox"); then
			# shellcheck disable=SC2046
			root_disk_test rv-root-disk '^ROOT_DISK_OK$' "${q[@]}" -kernel "$KERNEL_RV" \
				-bios default -smp 1 -append "root=/dev/vda rw" $(rv_disk "$img")
		else
			fail rv-root-disk "scripts/mkdisk.sh failed"
		fi
		if img=$(root_disk rv-fat scripts/root-fat-init.sh "$BUILD/riscv64/user/busybox" vfat); then
			# shellcheck disable=SC2046
			root_disk_test rv-root-fat '^ROOT_FAT_OK$' "${q[@]}" -kernel "$KERNEL_RV" \
				-bios default -smp 1 -append "root=/dev/vda rw rootfstype=vfat" $(rv_disk "$img")
			if out=$(PATH=$PATH:/sbin:/usr/sbin fsck.fat -n "$img" 2>&1); then
				pass rv-root-fat-fsck
			else
				fail rv-root-fat-fsck "$out"
			fi
		else
			fail rv-root-fat "scripts/mkdisk.sh failed"
		fi
	fi
	if need_file rv-uboot "$BUILD/riscv64/Image" &&
	   need_file rv-uboot scripts/boot-uboot-riscv64.sh; then
		boot_test rv-uboot scripts/boot-uboot-riscv64.sh "$BUILD/riscv64/Image"
	fi
	suite_end boot-riscv64
}

# An NMI (issue 13: NMI on its own IST stack): QEMU's monitor "nmi" (typed
# through -nographic's mon:stdio, Ctrl-A c) reaches every CPU's LINT1 while
# the shell runs; the kernel must report it and go on.
NMI_INPUT=$'\001cnmi\n\001csleep 1; echo FERRITE_BOOT_OK\npoweroff -f\n'
nmi_test() {
	local name=$1
	shift
	local log=$LOGS/$name.log
	run_qemu "$log" "$NMI_INPUT" "^$BOOT_MARKER\$" "$@"
	if tr -d '\r' < "$log" | grep -q 'NMI(s) received for an unknown reason, ignored' &&
	   tr -d '\r' < "$log" | grep -qx "$BOOT_MARKER"; then
		pass "$name"
	else
		fail "$name" "no NMI report, or no $BOOT_MARKER after it"
		show_tail "$log"
	fi
}

# x86_runner_boot NAME "TESTS" QEMU...: boot the x86_64 test runner on
# TESTS into $LOGS/NAME.log; the caller's `clean` gets the log without CRs.
x86_runner_boot() {
	local name=$1 tests=$2
	shift 2
	need_file "$name" "$TESTS_X86" || return 1
	run_qemu "$LOGS/$name.log" "" '^tests: [0-9]+ passed' "$@" -initrd "$TESTS_X86" \
		-append "init=/tests/runner -- /tests $tests"
	clean=$(tr -d '\r' < "$LOGS/$name.log")
}

# Machine checks (issue 13, src/arch/x86_64/mce.c), through QEMU's monitor
# "mce CPU BANK STATUS MCG_STATUS ADDR MISC" at -smp 2: a corrected error
# (no #MC: the tick's poll logs it) and an uncorrected recoverable one
# (RIPV set, no PCC: #MC on IST3, reported, the shell goes on); then, in a
# second boot, one with processor context corrupt and no RIPV, which must
# panic ("Fatal machine check", as Linux).
MCE_INPUT=$'\001cmce 0 1 0x9400000000000000 0 0x1234 0\nmce 1 2 0xbc00000000000000 0x5 0x5678 0\n\001csleep 2; echo FERRITE_BOOT_OK\npoweroff -f\n'
mce_test() {
	local name=$1 clean want missing=
	shift
	local log=$LOGS/$name.log
	run_qemu "$log" "$MCE_INPUT" "^$BOOT_MARKER\$" "$@"
	clean=$(tr -d '\r' < "$log")
	for want in 'CPU 0: Machine check events logged \(polled\): bank 1: corrected error, status 9400000000000000 addr 1234' \
		'CPU 1: Machine Check Exception, recovered: bank 2: uncorrected error, recoverable, status bc00000000000000 addr 5678' \
		"^$BOOT_MARKER\$"; do
		grep -Eq -- "$want" <<< "$clean" || missing+="${missing:+, }$want"
	done
	log=$LOGS/$name-fatal.log
	run_qemu "$log" $'\001cmce 0 1 0xb600000000000000 0x4 0x9abc 0\n' '^Rebooting' "$@" \
		-no-reboot -append "panic=-1"
	clean=$(tr -d '\r' < "$log")
	for want in 'CPU 0: Machine Check Exception \(fatal\): bank 1: uncorrected error, processor context corrupt' \
		'KERNEL PANIC: Fatal machine check on cpu 0'; do
		grep -Eq -- "$want" <<< "$clean" || missing+="${missing:+, }$want"
	done
	if [ -n "$missing" ]; then
		fail "$name" "missing: $missing"
		show_tail "$log"
	else
		pass "$name"
	fi
}

# SMEP, SMAP and UMIP (issue 13): QEMU's default CPU has none of them, so
# the guest suites' selfprotect finds smap/smep "not available". Here the
# CPU is -cpu max: the boot must turn all three on, and selfprotect must see
# the kernel's stray read of a user page (SMAP) and its call into user code
# (SMEP) stopped, the writer killed and the kernel alive; and umip must see
# SIGSEGV for sgdt, sidt, smsw, sldt and str with a rate-limited report.
cpu_max_protect_test() {
	local name=$1 log=$LOGS/$1.log clean
	shift
	x86_runner_boot "$name" "selfprotect umip" "$@" || return
	if ! grep -q 'x86: SMEP on, SMAP on, UMIP on' <<< "$clean"; then
		fail "$name" "-cpu max did not turn SMEP, SMAP and UMIP on"
		show_tail "$log"
	elif [ "$(grep -cE '^selfprotect: (smap|smep): stopped' <<< "$clean")" -lt 3 ]; then
		fail "$name" "smap/smep not stopped"
		show_tail "$log"
	elif ! grep -Eq 'umip: umip\[[0-9]+\] ip:[0-9a-f]+ sp:[0-9a-f]+: SGDT instruction cannot be used by applications' <<< "$clean" ||
		! grep -q 'umip: further reports suppressed' <<< "$clean"; then
		fail "$name" "no rate-limited umip report"
		show_tail "$log"
	elif ! grep -q '^tests: 2 passed, 0 failed' <<< "$clean"; then
		fail "$name" "selfprotect or umip did not pass"
		show_tail "$log"
	else
		pass "$name"
	fi
}

# x2APIC (issue 11): -smp 4 -cpu max, the CPU model that has x2APIC under
# QEMU 8.1+ TCG (QEMU 7.2's TCG has none, and the kernel stays in xAPIC
# mode). All four CPUs must come online and the SMP tests, which need IPIs
# (wake-ups of idle CPUs, TLB shootdowns), pass; the log says the mode.
x2apic_smp_test() {
	local name=$1 log=$LOGS/$1.log clean
	shift
	x86_runner_boot "$name" "smp_threads smp_affinity smp_tlb" "$@" || return
	if ! grep -qE 'x86: local APIC in (x2APIC|xAPIC) mode' <<< "$clean"; then
		fail "$name" "no local APIC mode line"
		show_tail "$log"
	elif ! grep -q 'smp: 4 CPUs online' <<< "$clean"; then
		fail "$name" "not all 4 CPUs online"
		show_tail "$log"
	elif ! grep -q '^tests: 3 passed, 0 failed' <<< "$clean"; then
		fail "$name" "the SMP tests did not pass"
		show_tail "$log"
	else
		echo "note: $name: $(grep -o 'local APIC in [x2]*APIC mode' <<< "$clean")"
		pass "$name"
	fi
}

suite_boot_x86_64() {
	suite_begin boot-x86_64
	local q=(qemu-system-x86_64 -m 1G -nographic)
	if need_file boot-x86_64 "$KERNEL_X86"; then
		boot_test x86-q35 "${q[@]}" -machine q35 -kernel "$KERNEL_X86"
		boot_test x86-pc "${q[@]}" -machine pc -kernel "$KERNEL_X86"
		nmi_test x86-nmi "${q[@]}" -machine q35 -smp 2 -kernel "$KERNEL_X86"
		mce_test x86-mce "${q[@]}" -machine q35 -smp 2 -cpu qemu64,+mce,+mca \
			-kernel "$KERNEL_X86"
		cpu_max_protect_test x86-cpu-max-protect "${q[@]}" -machine q35 -cpu max \
			-kernel "$KERNEL_X86"
		x2apic_smp_test x86-smp4-cpu-max "${q[@]}" -machine q35 -smp 4 -cpu max \
			-kernel "$KERNEL_X86"
		debug_selftest_test x86-debug-selftest "$KERNEL_X86_DEBUG" "${q[@]}" -machine q35 -smp 2
		bigrd_tests x86 "$BUILD/x86_64/user/bigrd.cpio.gz" "${q[@]}" -machine q35 \
			-kernel "$KERNEL_X86" -no-reboot
		panic_tests x86 "$TESTS_X86" "${q[@]}" -machine q35 -kernel "$KERNEL_X86"
		oom_test x86 "$BUILD/x86_64/user/tests/oom_hog" "${q[@]}" -machine q35 \
			-kernel "$KERNEL_X86"
		bigread_test x86 "$BUILD/x86_64/user/tests/bigread" virtio-blk-pci "${q[@]}" \
			-machine q35 -kernel "$KERNEL_X86"
		panic_tests x86-pc "$TESTS_X86" "${q[@]}" -machine pc -kernel "$KERNEL_X86"
		local img
		if img=$(boot_disk x86); then
			# shellcheck disable=SC2046
			BOOT_TEST_INPUT=$DISK_BOOT_INPUT boot_test x86-q35-disk-judges "${q[@]}" \
				-machine q35 -kernel "$KERNEL_X86" $(x86_disk "$img")
			# shellcheck disable=SC2046
			BOOT_TEST_INPUT=$DISK2_BOOT_INPUT boot_test x86-pc-disk-two "${q[@]}" \
				-machine pc -kernel "$KERNEL_X86" $(x86_disk "$img") \
				-drive "file=$(boot_disk x86-2),if=none,format=raw,id=x1" \
				-device virtio-blk-pci,drive=x1
		else
			fail x86-disk "scripts/mkdisk.sh failed"
		fi
		# no busybox on x86_64: a static test program is the disk's init;
		# its exit panics and panic=-1 with -no-reboot ends QEMU
		if img=$(root_disk x86 "$BUILD/x86_64/user/tests/uname"); then
			# shellcheck disable=SC2046
			root_disk_test x86-root-disk '^uname: Linux ' "${q[@]}" -machine q35 \
				-kernel "$KERNEL_X86" -no-reboot \
				-append "root=/dev/vda ro rootfstype=ext4 panic=-1" \
				$(x86_disk "$img")
		else
			fail x86-root-disk "scripts/mkdisk.sh failed"
		fi
	fi
	if need_file x86-grub-iso ferrite-x86_64.iso; then
		boot_test x86-grub-iso "${q[@]}" -machine q35 -cdrom ferrite-x86_64.iso
	fi
	suite_end boot-x86_64
}

# guest_run SUITE LOGNAME CMD...: boot with init=/tests/runner.
guest_run() {
	local suite=$1 name=$2
	shift 2
	local log=$LOGS/$name.log
	run_qemu "$log" "" '^tests: [0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$@"
	local rc=$?
	if ! count_runner_lines "$log" "$suite" || grep -q '^FAIL' <(tr -d '\r' < "$log"); then
		[ $rc -eq 124 ] && echo "note: $name timed out after ${QEMU_TIMEOUT}s"
		show_tail "$log"
	fi
	# The debug checks (lock order, kmalloc red zones and poison) and WARN_ON.
	local reports
	reports=$(tr -d '\r' < "$log" | grep -E -m3 "$KERNEL_REPORT")
	if [ -n "$reports" ]; then
		fail "$suite/kernel-reports" "$(head -n1 <<< "$reports")"
		tr -d '\r' < "$log" | grep -E -A12 "$KERNEL_REPORT" | head -n 60
	else
		pass "$suite/kernel-reports"
	fi
	# Every number Linux defines (all below 1000) is logged by name.
	local unknown
	unknown=$(tr -d '\r' < "$log" | grep -Eo 'unknown syscall [0-9]{1,3}:' | sort -u | tr '\n' ' ')
	if [ -n "$unknown" ]; then
		fail "$suite/syscall-names" "logged without a name: $unknown"
	else
		pass "$suite/syscall-names"
	fi
}

# The scratch disk of the blk test: made fresh before the run, its bytes
# checked after QEMU has exited (scripts/blk-image.py).
scratch_disk() {
	mkdir -p "$BUILD/test-disks"
	python3 scripts/blk-image.py make "$BUILD/test-disks/scratch-$1.img" &&
		echo "$BUILD/test-disks/scratch-$1.img"
}

check_scratch_disk() {
	local out
	if out=$(python3 scripts/blk-image.py check "$2" 2>&1); then
		pass "$1/blk-image"
	else
		fail "$1/blk-image" "$out"
	fi
}

# The ext4 test's disk (user/tests/ext4.c): a known tree labelled
# ferrite-ext4t, attached read-only as the second disk.
ext4_disk() {
	mkdir -p "$BUILD/test-disks"
	python3 scripts/ext4-test-image.py "$BUILD/test-disks/ext4t-$1.img" 1024 &&
		echo "$BUILD/test-disks/ext4t-$1.img"
}

# The Debian programs' disk (user/tests/debian_*.c, docs/dynamic.md): the
# /usr of the sysroot scripts/fetch-debian-programs.sh makes (fetched once,
# cached), labelled ferrite-debian, made again only when the sysroot is
# newer. Attached read-only.
debian_disk() {
	local arch=$1 sys=$BUILD/debian-$1 img=$BUILD/test-disks/debian-$1.img
	mkdir -p "$BUILD/test-disks"
	scripts/fetch-debian-programs.sh "$arch" "$sys" >&2 || return 1
	if [ ! -f "$img" ] || [ "$sys/root/.complete" -nt "$img" ]; then
		local mib=$(($(du -sm "$sys/root/usr" | cut -f1) * 3 / 2 + 32))
		scripts/mkdisk.sh -L ferrite-debian -s "$mib" "$sys/root/usr" "$img" >&2 || return 1
	fi
	echo "$img"
}

# The FAT test's disk (user/tests/fat.c): a small FAT32 image labelled
# FERRITEFATT (scripts/mkdisk.sh -t vfat), attached read-write as the third
# disk; after the run fsck.fat -n must find nothing to fix and every file
# the test reported (FAT-FILE lines) must read the same through mtools.
fat_disk() {
	local dir=$BUILD/test-disks/fatt-folder
	mkdir -p "$dir/preexisting"
	echo "made by run-tests.sh" > "$dir/preexisting/hello from the host.txt"
	scripts/mkdisk.sh -t vfat -L FERRITEFATT -s 40 "$dir" "$BUILD/test-disks/fatt-$1.img" > /dev/null &&
		echo "$BUILD/test-disks/fatt-$1.img"
}

check_fat_disk() {
	local out
	if out=$(PATH=$PATH:/sbin:/usr/sbin fsck.fat -n "$2" 2>&1); then
		pass "$1/fat-fsck"
	else
		fail "$1/fat-fsck" "$out"
	fi
	if out=$(python3 scripts/fat-check.py "$2" "$3" 2>&1); then
		pass "$1/fat-files"
	else
		fail "$1/fat-files" "$out"
	fi
}

# --- ext4 read-write (wt-ext4w): the scratch disk of user/tests/ext4w.c ---
# A fresh mkfs.ext4 image labelled ferrite-ext4w, attached writable: $2 are
# mkfs options (riscv64: 4 KiB blocks and a journal; x86_64: 1 KiB, none).
ext4w_disk() {
	local img=$BUILD/test-disks/ext4w-$1.img
	mkdir -p "$BUILD/test-disks"
	rm -f "$img" && truncate -s 64M "$img" &&
		PATH=$PATH:/sbin:/usr/sbin mkfs.ext4 -q -F -L ferrite-ext4w $2 "$img" && echo "$img"
}

# After the run: e2fsck -fn finds nothing to fix, and every file the test
# reported (EXT4W-FILE path size sha256) reads back the same through debugfs.
check_ext4w_disk() {
	local suite=$1 img=$2 log=$3 out path size sum n=0 bad=""
	if out=$(PATH=$PATH:/sbin:/usr/sbin e2fsck -fn "$img" 2>&1); then
		pass "$suite/ext4w-e2fsck"
	else
		fail "$suite/ext4w-e2fsck" "$(echo "$out" | tail -15)"
	fi
	while read -r _ path size sum; do
		n=$((n + 1))
		local got
		got=$(PATH=$PATH:/sbin:/usr/sbin debugfs -R "cat $path" "$img" 2> /dev/null | sha256sum | cut -d' ' -f1)
		local len
		len=$(PATH=$PATH:/sbin:/usr/sbin debugfs -R "cat $path" "$img" 2> /dev/null | wc -c)
		[ "$got" = "$sum" ] && [ "$len" = "$size" ] || bad="$bad $path"
	done < <(tr -d '\r' < "$log" | grep '^EXT4W-FILE ' |
		awk '{ last[$2] = $0 } END { for (p in last) print last[p] }')  # a rerun's reports win
	if [ $n -gt 0 ] && [ -z "$bad" ]; then
		pass "$suite/ext4w-files"
	else
		fail "$suite/ext4w-files" "reported $n files; differ in the image:$bad"
	fi
}
# --- end ext4 read-write ---

# The journal-replay test's disk (user/tests/ext4_replay.c): its journal
# needs recovery; after the run it must be clean (scripts/jbd2-test-image.py).
jbd2_disk() {
	mkdir -p "$BUILD/test-disks"
	python3 scripts/jbd2-test-image.py make "$BUILD/test-disks/jbd2t-$1.img" 1024 &&
		echo "$BUILD/test-disks/jbd2t-$1.img"
}

check_jbd2_disk() {
	local out
	if out=$(python3 scripts/jbd2-test-image.py check "$2" 2>&1); then
		pass "$1/jbd2-replay-image"
	else
		fail "$1/jbd2-replay-image" "$out"
	fi
}

# The guest tests inside Ferrite: suite_guest ARCH CPUS. Every run has the
# scratch disk, the read-only ext4 disk, the Debian programs' disk, a fresh
# ext4 disk to write (4 KiB blocks with a journal, or 1 KiB without one: the
# two arches and the two CPU counts take turns), a FAT32 disk and an ext4
# disk whose journal needs replay; the host checks the written disks
# afterwards.
suite_guest() {
	local arch=$1 cpus=$2 name=guest-$1 tag=$1 img dev ext4w_opts
	if [ "$cpus" != 1 ]; then
		name=guest-smp$cpus-$arch
		tag=$arch-smp$cpus
	fi
	local log=$LOGS/$name.log
	suite_begin "$name"
	if [ "$arch" = riscv64 ]; then
		dev=virtio-blk-device
		[ "$cpus" = 1 ] && ext4w_opts="-b 4096" || ext4w_opts="-b 1024 -O ^has_journal"
	else
		dev=virtio-blk-pci
		[ "$cpus" = 1 ] && ext4w_opts="-b 1024 -O ^has_journal" || ext4w_opts="-b 4096"
	fi
	local kernel=$KERNEL_RV tests=$TESTS_RV
	[ "$arch" = x86_64 ] && kernel=$KERNEL_X86 tests=$TESTS_X86
	if [ "$cpus" != 1 ] || [ -n "${DEBUG_KERNELS:-}" ]; then # the debug kernel, 2-5x slower under load
		kernel=$KERNEL_RV_DEBUG
		[ "$arch" = x86_64 ] && kernel=$KERNEL_X86_DEBUG
		local QEMU_TIMEOUT=$((QEMU_TIMEOUT * 5)) # seen by run_qemu
	fi
	if need_file "$name" "$kernel" && need_file "$name" "$tests" && img=$(scratch_disk "$tag"); then
		local q
		if [ "$arch" = riscv64 ]; then
			q=(qemu-system-riscv64 -machine virt -kernel "$kernel" -initrd "$tests" -m 1G
			   -nographic -bios default -smp "$cpus" -append "init=/tests/runner")
			# shellcheck disable=SC2046
			q+=($(rv_disk "$img"))
		else
			q=(qemu-system-x86_64 -machine q35 -kernel "$kernel" -initrd "$tests" -m 1G
			   -nographic -smp "$cpus" -append "init=/tests/runner")
			# shellcheck disable=SC2046
			q+=($(x86_disk "$img"))
		fi
		local ext4 deb ext4w fat jbd2
		ext4=$(ext4_disk "$tag") &&
			q+=(-drive "file=$ext4,if=none,format=raw,id=x9,readonly=on" -device "$dev,drive=x9")
		deb=$(debian_disk "$arch") &&
			q+=(-drive "file=$deb,if=none,format=raw,id=x6,readonly=on" -device "$dev,drive=x6")
		ext4w=$(ext4w_disk "$tag" "$ext4w_opts") &&
			q+=(-drive "file=$ext4w,if=none,format=raw,id=x8" -device "$dev,drive=x8")
		fat=$(fat_disk "$tag") &&
			q+=(-drive "file=$fat,if=none,format=raw,id=x7" -device "$dev,drive=x7")
		jbd2=$(jbd2_disk "$tag") &&
			q+=(-drive "file=$jbd2,if=none,format=raw,id=x5" -device "$dev,drive=x5")
		guest_run "$name" "$name" "${q[@]}"
		check_scratch_disk "$name" "$img"
		check_ext4w_disk "$name" "$BUILD/test-disks/ext4w-$tag.img" "$log"
		check_fat_disk "$name" "$BUILD/test-disks/fatt-$tag.img" "$log"
		check_jbd2_disk "$name" "$BUILD/test-disks/jbd2t-$tag.img"
	fi
	suite_end "$name"
}

# The bounded fuzz: fixed seeds, so every run tries the same sequences (as
# many as fit in the time): FUZZ_TEST_S seconds without fault injection,
# then FUZZ_FI_S seconds with failslab=FUZZ_FAILSLAB (docs/reliability.md),
# then FUZZ_SMP_S seconds at -smp 4 (sequences with a second thread then
# really run two CPUs into the same objects), then FUZZ_NTH_S seconds of
# fail-nth sweeps over the syscall table (sysfuzz --fail-nth FUZZ_NTH_K).
FUZZ_TEST_S=${FUZZ_TEST_S:-16}
FUZZ_TEST_SEEDS=${FUZZ_TEST_SEEDS:-1,2}
FUZZ_FI_S=${FUZZ_FI_S:-12}
FUZZ_FI_SEEDS=${FUZZ_FI_SEEDS:-3,4}
FUZZ_NTH_S=${FUZZ_NTH_S:-8}
FUZZ_NTH_SEEDS=${FUZZ_NTH_SEEDS:-6}
FUZZ_NTH_K=${FUZZ_NTH_K:-16}
FUZZ_SMP_S=${FUZZ_SMP_S:-16}
FUZZ_SMP_SEEDS=${FUZZ_SMP_SEEDS:-5}
FUZZ_FAILSLAB=${FUZZ_FAILSLAB:-5000,1}

# The small judge image beside its Linux reference (scripts/judge/run.sh),
# then a handmade disk for the runner's rules: the root's script first,
# "basic" first in a folder, a crash that does not stop the run, a hanging
# script killed at judge_timeout=3 with its background child, power off.
suite_judge() {
	local arch=$1
	local log=$LOGS/judge-$arch.txt
	suite_begin "judge-$arch"
	if BUILD="$BUILD" JUDGE_LIMIT=600 scripts/judge/run.sh "$arch" small > "$log" 2>&1; then
		pass "judge-$arch-image"
	else
		fail "judge-$arch-image" "see $log"
		grep -E "REGRESSION|INCOMPLETE" "$log" | head -n 10
	fi
	sed -n '/^== judge/,$p' "$log"

	local dir=$BUILD/judge/rules-$arch img=$BUILD/judge/rules-$arch.img rlog=$LOGS/judge-rules-$arch.log
	rm -rf "$dir"
	mkdir -p "$dir/a" "$dir/b"
	echo 'echo "RULE root $(pwd)"' > "$dir/root_testcode.sh"
	echo 'echo "RULE a-basic"; kill -SEGV $$' > "$dir/a/basic_testcode.sh"
	echo 'echo "RULE a-crash"; sh -c '"'"'kill -BUS $$'"'"'; echo "RULE a-after-crash"' > "$dir/a/crash_testcode.sh"
	echo 'echo "RULE a-hang"; sleep 1000 & sleep 1000' > "$dir/a/hang_testcode.sh"
	echo 'echo "RULE b-last"' > "$dir/b/x_testcode.sh"
	mkfs.ext4 -q -F -d "$dir" "$img" 8M > /dev/null
	local q
	if [ "$arch" = riscv64 ]; then
		q=(qemu-system-riscv64 -machine virt -kernel kernel-rv -m 1G -nographic -smp 1 -bios default
		   -drive "file=$img,if=none,format=raw,id=x0" -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0)
	else
		q=(qemu-system-x86_64 -machine q35 -kernel kernel-x86_64 -m 1G -nographic -smp 1
		   -drive "file=$img,if=none,format=raw,id=x0" -device virtio-blk-pci,drive=x0)
	fi
	timeout 120 "${q[@]}" -no-reboot -append "judge_timeout=3" < /dev/null > "$rlog" 2>&1
	local got want
	got=$(tr -d '\r' < "$rlog" | grep -o '^RULE [a-z-]*' | tr '\n' ' ')
	want="RULE root RULE a-basic RULE a-crash RULE a-after-crash RULE a-hang RULE b-last "
	if [ "$got" != "$want" ]; then
		fail "judge-$arch-rules" "order: got '$got'"
	elif ! grep -q 'hang_testcode.sh: killed after the 3 s limit' "$rlog"; then
		fail "judge-$arch-rules" "the hanging script was not killed"
	elif ! grep -q 'power off' "$rlog"; then
		fail "judge-$arch-rules" "no power off"
	else
		pass "judge-$arch-rules"
	fi
	suite_end "judge-$arch"
}

# fuzz_count CMD...: pass each PASS/FAIL line of CMD's output on.
fuzz_count() {
	local line n=0
	while IFS= read -r line; do
		echo "$line"
		case "$line" in
		"PASS fuzz-"*) suite_pass=$((suite_pass + 1)); n=$((n + 1)) ;;
		"FAIL fuzz-"*) suite_fail=$((suite_fail + 1)); n=$((n + 1)) ;;
		esac
	done < <("$@" 2>&1)
	[ $n -gt 0 ] || fail "$2" "scripts/fuzz.sh gave no result"
}

suite_fuzz() {
	local arch=$1
	suite_begin "fuzz-$arch"
	local kernel=$KERNEL_RV_DEBUG
	[ "$arch" = x86_64 ] && kernel=$KERNEL_X86_DEBUG
	need_file "fuzz-$arch" "$kernel" || { suite_end "fuzz-$arch"; return; }
	fuzz_count env BUILD="$BUILD" FUZZ_KERNEL="$kernel" FUZZ_NAME="fuzz-$arch" FUZZ_FAILSLAB= \
		scripts/fuzz.sh "$arch" "$FUZZ_TEST_S" "$FUZZ_TEST_SEEDS" "$LOGS/fuzz-$arch.log"
	fuzz_count env BUILD="$BUILD" FUZZ_KERNEL="$kernel" FUZZ_NAME="fuzz-$arch-failslab" FUZZ_FAILSLAB="$FUZZ_FAILSLAB" \
		scripts/fuzz.sh "$arch" "$FUZZ_FI_S" "$FUZZ_FI_SEEDS" "$LOGS/fuzz-$arch-failslab.log"
	fuzz_count env BUILD="$BUILD" FUZZ_KERNEL="$kernel" FUZZ_NAME="fuzz-$arch-smp4" FUZZ_FAILSLAB= SMP=4 \
		scripts/fuzz.sh "$arch" "$FUZZ_SMP_S" "$FUZZ_SMP_SEEDS" "$LOGS/fuzz-$arch-smp4.log"
	fuzz_count env BUILD="$BUILD" FUZZ_KERNEL="$kernel" FUZZ_NAME="fuzz-$arch-failnth" FUZZ_FAILSLAB= \
		FUZZ_ARGS="--fail-nth $FUZZ_NTH_K" \
		scripts/fuzz.sh "$arch" "$FUZZ_NTH_S" "$FUZZ_NTH_SEEDS" "$LOGS/fuzz-$arch-failnth.log"
	suite_end "fuzz-$arch"
}

# The power-cut test (scripts/crashtest.sh, docs/jbd2.md): CRASH_CUTS_TEST
# QEMU runs killed at random, alternating the arches (make crashtest: 50).
CRASH_CUTS_TEST=${CRASH_CUTS_TEST:-4}
suite_crash() {
	suite_begin crash
	local line
	while IFS= read -r line; do
		case "$line" in
		"PASS "*) pass "${line#PASS }" ;;
		"FAIL "*) line=${line#FAIL }; fail "${line%%:*}" "${line#*: }" ;;
		*) echo "$line" ;;
		esac
	done < <(BUILD="$BUILD" scripts/crashtest.sh "$CRASH_CUTS_TEST" riscv64 x86_64 2>&1)
	suite_end crash
}

# The SMP stress run (issue 11, docs/smp.md): STRESS_LINUX_S seconds of
# the same binary on Linux first (natively or under qemu-riscv64; no leak
# check there), then STRESS_S seconds as init inside Ferrite at -smp
# STRESS_CPUS, which must end in STRESS_OK with no panic or warning.
STRESS_S=${STRESS_S:-60}
STRESS_LINUX_S=${STRESS_LINUX_S:-5}
STRESS_CPUS=${STRESS_CPUS:-4}
suite_stress() {
	local arch=$1 name=stress-$1 log out
	suite_begin "$name"
	local kernel=$KERNEL_RV tests=$TESTS_RV prog=$BUILD/riscv64/user/tests/stress
	[ "$arch" = x86_64 ] && kernel=$KERNEL_X86 tests=$TESTS_X86 prog=$BUILD/x86_64/user/tests/stress
	if need_file "$name" "$prog"; then
		local run=("$prog")
		[ "$arch" = riscv64 ] && run=(qemu-riscv64 "$prog")
		log=$LOGS/$name-linux.log
		if timeout 120 "${run[@]}" "$STRESS_LINUX_S" > "$log" 2>&1 &&
		   grep -qx STRESS_OK "$log"; then
			pass "$name/linux"
		else
			fail "$name/linux" "no STRESS_OK on Linux"
			show_tail "$log"
		fi
	fi
	if need_file "$name" "$kernel" && need_file "$name" "$tests"; then
		local q
		if [ "$arch" = riscv64 ]; then
			q=(qemu-system-riscv64 -machine virt -bios default)
		else
			q=(qemu-system-x86_64 -machine q35)
		fi
		q+=(-kernel "$kernel" -initrd "$tests" -m 1G -nographic -no-reboot -smp "$STRESS_CPUS"
		    -append "init=/tests/stress stress_seconds=$STRESS_S")
		log=$LOGS/$name.log
		QEMU_TIMEOUT=$((STRESS_S * 2 + 180)) run_qemu "$log" "" '^STRESS_(OK|FAIL)$' "${q[@]}"
		out=$(tr -d '\r' < "$log")
		if grep -Eq 'KERNEL PANIC|WARN_ON|BUG:|hung task' <<< "$out"; then
			fail "$name/ferrite-smp$STRESS_CPUS" "panic or warning"
			show_tail "$log"
		elif ! grep -qx STRESS_OK <<< "$out"; then
			fail "$name/ferrite-smp$STRESS_CPUS" "no STRESS_OK"
			show_tail "$log"
		else
			pass "$name/ferrite-smp$STRESS_CPUS"
			grep '^stress: [0-9]* workers' <<< "$out"
		fi
	fi
	suite_end "$name"
}

all_suites=(host linux-reference boot-riscv64 boot-x86_64 guest-riscv64 guest-x86_64 guest-smp4-riscv64 guest-smp4-x86_64 crash fuzz-riscv64 fuzz-x86_64)
suites=("$@")
all_suites+=(judge-riscv64 judge-x86_64 stress-riscv64 stress-x86_64)
[ ${#suites[@]} -gt 0 ] || suites=("${all_suites[@]}")

start=$(date +%s)
for s in "${suites[@]}"; do
	case "$s" in
	host) suite_host ;;
	linux-reference) suite_linux_reference ;;
	boot-riscv64) suite_boot_riscv64 ;;
	boot-x86_64) suite_boot_x86_64 ;;
	guest-riscv64) suite_guest riscv64 1 ;;
	guest-smp4-riscv64) suite_guest riscv64 4 ;;
	guest-smp4-x86_64) suite_guest x86_64 4 ;;
	guest-x86_64) suite_guest x86_64 1 ;;
	crash) suite_crash ;;
	fuzz-riscv64) suite_fuzz riscv64 ;;
	fuzz-x86_64) suite_fuzz x86_64 ;;
	judge-riscv64) suite_judge riscv64 ;;
	judge-x86_64) suite_judge x86_64 ;;
	stress-riscv64) suite_stress riscv64 ;;
	stress-x86_64) suite_stress x86_64 ;;
	*) echo "run-tests: unknown suite $s (known: ${all_suites[*]})" >&2; exit 2 ;;
	esac
done

echo
echo "run-tests: $(( $(date +%s) - start )) s, logs in $LOGS"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
