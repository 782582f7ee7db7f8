#!/usr/bin/env bash
# The SMP benchmarks (issue 11), Ferrite against Debian's Linux under the
# same QEMU, part of `make bench` (also alone: `make bench-smp`):
#   cross     -smp 2 under -icount: the IPC round trips with the driver on
#             CPU 0 and the far end on CPU 1 (ferrite-bench --cross)
#   contend   -smp 4 under -icount: N = 1, 2, 4 processes, each pinned to
#             its own CPU, each doing its own work (ferrite-bench --procs N);
#             the vCPUs run in turn, so the virtual clock sums every CPU's
#             instructions and elapsed / (N x ops) is instructions per op
#   speedup   -smp 2 under multi-threaded TCG, no icount: the same work at
#             N = 1 and N = 2 (wall clock; a sanity figure only)
# then scripts/bench/smp-report.py prints the tables and puts them in
# docs/benchmarks.md (between its SMP markers). Logs: BUILD/bench/logs/
# ARCH-KERNEL-{cross,contend,speedup}.log.
#
# Environment: BUILD (default build), BENCH_ARCHES ("x86_64 riscv64"),
# BENCH_SMP_REPS (3), BENCH_TIMEOUT (seconds per run, 900), BENCH_SMP_LINUX
# (1; 0 skips the Linux runs, whose logs then read "not run"),
# BENCH_SMP_LINUX_TIMEOUT (seconds per Linux icount run, 600).
# Known: Debian's Linux (6.1 x86_64, 6.12 riscv64) does not finish booting
# under -icount at -smp 2 or 4 on QEMU 7.2 (x86_64 stops at "smp: Bringing
# up secondary CPUs", riscv64 prints nothing after OpenSBI); those runs end
# at their timeout and the tables say so.
set -euo pipefail
. "$(dirname "$0")/common.sh"
reps=${BENCH_SMP_REPS:-3}
CROSS=(pipe_pingpong futex_pingpong port_call_reply signal_pingpong msg_pingpong sem_pingpong
       unix_stream_pingpong unix_dgram_pingpong eventfd_pingpong)
CONTEND=(null_syscall pipe_pingpong page_fault fork_exit_wait)

only() {
	local n
	for n in "$@"; do
		printf -- '--only %s ' "$n"
	done
}

# boot LOG ARCH KERNEL CPIO CPUS [extra...]
boot() {
	local log=$1 arch=$2 kernel=$3 cpio=$4 cpus=$5
	shift 5
	local -a cmd
	case "$arch" in
	x86_64) cmd=(qemu-system-x86_64 -machine q35) ;;
	riscv64) cmd=(qemu-system-riscv64 -machine virt -bios default) ;;
	esac
	cmd+=(-m 512M -smp "$cpus" -nographic -no-reboot -nic none -kernel "$kernel"
	      -initrd "$cpio" -append "console=ttyS0 quiet" "$@")
	printf '%q ' "${cmd[@]}" > "$log.cmd"
	timeout "$limit" "${cmd[@]}" < /dev/null > "$log" 2>&1 || true
	grep -q '^BENCH_DONE' "$log" || echo "bench-smp: $log: incomplete run (see the log)" >&2
}

for arch in $arches; do
	[ -x "$BUILD/$arch/kernel" ] || { echo "bench-smp: $BUILD/$arch/kernel missing (make all)" >&2; exit 1; }
	scripts/bench/fetch-linux.sh "$arch" "$out/linux-$arch"
	# shellcheck disable=SC2046
	scripts/bench/mkinitramfs.sh "$arch" "$BUILD/$arch" "$out/$arch-cross.cpio" run \
		--cross --reps "$reps" $(only "${CROSS[@]}")
	# shellcheck disable=SC2046
	BENCH_PROCS="1 2 4" scripts/bench/mkinitramfs.sh "$arch" "$BUILD/$arch" \
		"$out/$arch-contend.cpio" procs --reps "$reps" $(only "${CONTEND[@]}")
	# shellcheck disable=SC2046
	BENCH_PROCS="1 2" scripts/bench/mkinitramfs.sh "$arch" "$BUILD/$arch" \
		"$out/$arch-speedup.cpio" procs --reps "$reps" $(only "${CONTEND[@]}")
done

kernels="linux ferrite"
if [ "${BENCH_SMP_LINUX:-1}" = 0 ]; then
	kernels=ferrite
	rm -f "$logs"/*-linux-cross.log "$logs"/*-linux-contend.log "$logs"/*-linux-speedup.log
fi

# icount runs, one background job per architecture (the counts do not
# depend on host load); then the wall-clock runs one at a time.
icount_runs() {
	local arch=$1 k kern

	for k in $kernels; do
		kern=$BUILD/$arch/kernel
		limit=${BENCH_TIMEOUT:-900} # a background job: its own copy
		if [ $k = linux ]; then
			kern=$out/linux-$arch/vmlinuz
			limit=${BENCH_SMP_LINUX_TIMEOUT:-600}
		fi
		echo "bench-smp: $arch $k (cross-CPU, -smp 2)" >&2
		boot "$logs/$arch-$k-cross.log" "$arch" "$kern" "$out/$arch-cross.cpio" 2 "${ICOUNT[@]}"
		echo "bench-smp: $arch $k (contention, -smp 4)" >&2
		boot "$logs/$arch-$k-contend.log" "$arch" "$kern" "$out/$arch-contend.cpio" 4 "${ICOUNT[@]}"
	done
}
per_arch_parallel icount_runs
for arch in $arches; do
	for k in $kernels; do
		kern=$BUILD/$arch/kernel
		[ $k = linux ] && kern=$out/linux-$arch/vmlinuz
		echo "bench-smp: $arch $k (speed-up, -smp 2, multi-threaded TCG)" >&2
		boot "$logs/$arch-$k-speedup.log" "$arch" "$kern" "$out/$arch-speedup.cpio" 2 \
			-accel tcg,thread=multi
	done
done
python3 scripts/bench/smp-report.py "$out" docs/benchmarks.md
