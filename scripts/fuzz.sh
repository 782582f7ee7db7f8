#!/usr/bin/env bash
# Boot Ferrite with the syscall fuzzer as init (user/fuzz, /tests/sysfuzz)
# and judge the run from its serial log: the fuzzer's own verdict (hangs,
# leaks, per seed) and the kernel's (no panic, no WARN_ON) on the console.
#
# Usage: scripts/fuzz.sh ARCH SECONDS SEEDS [LOG]
#   ARCH     riscv64 or x86_64
#   SECONDS  the fuzzer's time, spread over the seeds
#   SEEDS    comma-separated seed list, e.g. 1,2,3,4
#   LOG      serial log (default build/test-logs/fuzz-ARCH.log)
# Environment: BUILD (default build), FUZZ_KERNEL (default the release
# kernel of BUILD), SMP (default 1), KCOV=1 (boot the coverage kernel
# BUILD/kcov-ARCH/kernel, meson -Dkcov=true, so the fuzzer's guidance sees
# kernel PCs and edges), FUZZ_HUNG_S (the hung-task timeout, default 30 s), FUZZ_ARGS (more
# sysfuzz options, e.g. "--calls 128"), FUZZ_FAILSLAB (fault injection:
# PERMILLION,SEED on the kernel command line, docs/reliability.md),
# FUZZ_BOOT_S (the boot's own time limit, default 600 s: unpacking the
# tests on a loaded host can take minutes), FUZZ_SLACK (the run's limit is
# SECONDS times that plus 120 s of wall time, default 3: the x86_64 guest
# clock can run several times slower than the host's when the host is
# loaded at boot, docs/reliability.md), QEMU_EXTRA.
#
# Prints "PASS|FAIL NAME/CHECK (why)" lines (NAME: FUZZ_NAME, default
# fuzz-ARCH), one per seed and one each for panic, warning and completion;
# exits non-zero when any failed.
set -uo pipefail

cd "$(dirname "$0")/.."
arch=${1:?usage: fuzz.sh ARCH SECONDS SEEDS [LOG]}
seconds=${2:?usage: fuzz.sh ARCH SECONDS SEEDS [LOG]}
seeds=${3:?usage: fuzz.sh ARCH SECONDS SEEDS [LOG]}
BUILD=${BUILD:-build}
SMP=${SMP:-1}
log=${4:-$BUILD/test-logs/fuzz-$arch.log}
name=${FUZZ_NAME:-fuzz-$arch}
mkdir -p "$(dirname "$log")"

case "$arch" in
riscv64)
	kernel=${FUZZ_KERNEL:-$BUILD/riscv64/kernel}
	qemu=(qemu-system-riscv64 -machine virt -bios default -smp "$SMP")
	;;
x86_64)
	kernel=${FUZZ_KERNEL:-$BUILD/x86_64/kernel}
	qemu=(qemu-system-x86_64 -machine q35 -smp "$SMP")
	;;
*)
	echo "fuzz.sh: unknown arch $arch" >&2
	exit 2
	;;
esac
tests=$BUILD/$arch/user/tests.cpio
[ "${KCOV:-0}" = 1 ] && kernel=$BUILD/kcov-$arch/kernel
for f in "$kernel" "$tests"; do
	[ -e "$f" ] || { echo "FAIL $name/setup ($f missing)"; exit 1; }
done

# The options travel as /etc/sysfuzz.conf in a second archive after the
# tests (the kernel unpacks concatenated archives in order).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "--seeds $seeds --time $seconds ${FUZZ_ARGS:-}" > "$tmp/sysfuzz.conf"
python3 scripts/mkinitramfs.py "$tmp/conf.cpio" --file "etc/sysfuzz.conf=$tmp/sysfuzz.conf" ||
	{ echo "FAIL $name/setup (mkinitramfs)"; exit 1; }
cat "$tests" "$tmp/conf.cpio" > "$tmp/initrd.cpio"

# Two limits: the boot until the fuzzer's first line, then its run.
boot_limit=${FUZZ_BOOT_S:-600}
limit=$((seconds * ${FUZZ_SLACK:-3} + 120))
cmdline=" ferrite.hung_task_timeout=${FUZZ_HUNG_S:-30}${FUZZ_FAILSLAB:+ failslab=$FUZZ_FAILSLAB}"
echo "\$ ${qemu[*]} -kernel $kernel -initrd (tests + sysfuzz.conf: $(cat "$tmp/sysfuzz.conf")) -append init=/tests/sysfuzz$cmdline" > "$log.cmd"
timeout --kill-after=5 "$((boot_limit + limit))" "${qemu[@]}" -kernel "$kernel" -initrd "$tmp/initrd.cpio" \
	-m 1G -nographic -append "init=/tests/sysfuzz$cmdline" ${QEMU_EXTRA:-} < /dev/null > "$log" 2>&1 &
qpid=$!
# A panicked kernel does not power off: stop QEMU 5 s after the panic.
seen=-1 waited=0 started=-1 timed_out=
while kill -0 "$qpid" 2>/dev/null; do
	sleep 1
	waited=$((waited + 1))
	if [ $started -lt 0 ] && grep -q '^sysfuzz: options' "$log"; then
		started=$waited
	fi
	if [ $started -lt 0 ] && [ $waited -ge "$boot_limit" ]; then
		timed_out="the fuzzer had not started after ${boot_limit}s"
	elif [ $started -ge 0 ] && [ $((waited - started)) -ge $limit ]; then
		timed_out="timed out after ${limit}s of fuzzing"
	fi
	if [ -n "$timed_out" ]; then
		kill -TERM "$qpid" 2>/dev/null
		break
	fi
	if [ $seen -lt 0 ] && grep -qE 'KERNEL PANIC|System halted' "$log"; then
		seen=$waited
	fi
	if [ $seen -ge 0 ] && [ $((waited - seen)) -ge 5 ]; then
		kill -TERM "$qpid" 2>/dev/null
		break
	fi
done
wait "$qpid"
rc=$?

clean=$(tr -d '\r' < "$log")
failed=0
result() { # result CHECK OK WHY
	if [ "$2" = 1 ]; then
		echo "PASS $name/$1"
	else
		echo "FAIL $name/$1${3:+ ($3)}"
		failed=1
	fi
}

IFS=, read -ra seed_list <<< "$seeds"
for s in "${seed_list[@]}"; do
	line=$(grep -E "^SEED $s (PASS|FAIL)" <<< "$clean" | tail -n1)
	case "$line" in
	"SEED $s PASS"*) result "seed-$s" 1 ;;
	"SEED $s FAIL"*) result "seed-$s" 0 "${line#SEED $s FAIL }" ;;
	*) result "seed-$s" 0 "no result" ;;
	esac
done
panic=$(grep -m1 -E 'KERNEL PANIC|System halted' <<< "$clean")
result no-panic "$([ -z "$panic" ] && echo 1)" "$panic"
warn=$(grep -m1 -E 'WARN_ON|BUG:|hung task' <<< "$clean")
result no-warning "$([ -z "$warn" ] && echo 1)" "$warn"
if grep -q '^sysfuzz: RESULT PASS' <<< "$clean"; then
	result complete 1
else
	why=${timed_out:-no verdict}
	[ $rc -eq 124 ] && why="timed out after $((boot_limit + limit))s"
	result complete 0 "$why"
fi
grep -E '^sysfuzz: (HANG|LEAK|replay)' <<< "$clean" | head -n 20
grep -E '^sysfuzz: [0-9]+ sequences|^sysfuzz: coverage' <<< "$clean"
if [ $failed -ne 0 ]; then
	echo "---- last 40 lines of $log ----"
	tail -n 40 <<< "$clean"
	echo "---- end of $log ----"
fi
exit $failed
