#!/usr/bin/env bash
# `make bench`: Ferrite against Debian's Linux under the same QEMU, on both
# architectures (issue 4). Expects `make all` to have built BUILD/riscv64 and
# BUILD/x86_64. Steps:
#   1. fetch the Linux kernels (cached in BUILD/bench/linux-ARCH);
#   2. build the benchmark initramfs archives (scripts/bench/mkinitramfs.sh);
#   3. icount runs: each kernel boots the same archive with
#      -icount shift=0,sleep=off (guest ns = instructions), the two
#      architectures in parallel (icount figures do not depend on host load);
#   4. memory runs: the same boot with -m 128M, free memory at the prompt;
#   5. wall-clock runs (plain TCG), one at a time, interleaved
#      Ferrite/Linux/Ferrite/Linux, BENCH_WALL_RUNS times per kernel;
#   6. scripts/bench/report.py prints the tables and writes
#      docs/benchmarks.md and docs/benchmarks.png;
#   7. the SMP tables (scripts/bench/smp.sh, unless BENCH_SMP=0): cross-CPU
#      round trips at -smp 2, contention at -smp 4, wall-clock speed-up;
#   8. the file-system tables (scripts/bench/fs.sh, unless BENCH_FS=0).
# Logs stay in BUILD/bench/logs. Every QEMU run is bounded by a timeout; a
# run that hangs is reported as incomplete, not waited for.
#
# Environment: BUILD (default build), BENCH_REPS (5), BENCH_WALL_RUNS (3),
# BENCH_ARCHES ("x86_64 riscv64"), BENCH_TIMEOUT (seconds per run, 900).
set -euo pipefail
. "$(dirname "$0")/common.sh"
reps=${BENCH_REPS:-5}
wall_runs=${BENCH_WALL_RUNS:-3}
rm -f "$logs"/*.log

MEM=512M
APPEND="console=ttyS0 quiet"

ferrite_kernel() { echo "$BUILD/$1/kernel"; }
linux_kernel() { echo "$out/linux-$1/vmlinuz"; }

# qemu_cmd ARCH KERNEL CPIO MEMORY [extra...]: the command line, one word a line.
qemu_cmd() {
	local arch=$1 kernel=$2 cpio=$3 mem=$4
	shift 4
	case "$arch" in
	x86_64) printf '%s\n' qemu-system-x86_64 -machine q35 ;;
	riscv64) printf '%s\n' qemu-system-riscv64 -machine virt -bios default ;;
	esac
	printf '%s\n' -m "$mem" -smp 1 -nographic -no-reboot -nic none \
		-kernel "$kernel" -initrd "$cpio" -append "$APPEND" "$@"
}

# boot LOG ARCH KERNEL CPIO MEMORY [extra...]: run one configuration.
boot() {
	local log=$1
	shift
	local -a cmd
	mapfile -t cmd < <(qemu_cmd "$@")
	printf '%q ' "${cmd[@]}" > "$log.cmd"
	local t0 t1
	t0=$(date +%s.%N)
	timeout "$limit" "${cmd[@]}" < /dev/null > "$log" 2>&1 || true
	t1=$(date +%s.%N)
	echo "BENCH_WALL_TOTAL $(awk "BEGIN { print $t1 - $t0 }") s" >> "$log"
	grep -q '^BENCH_DONE' "$log" || echo "bench: $log: incomplete run (see the log)" >&2
}

# 1. kernels, 2. archives
for arch in $arches; do
	[ -x "$(ferrite_kernel "$arch")" ] || { echo "bench: $(ferrite_kernel "$arch") missing (make all)" >&2; exit 1; }
	scripts/bench/fetch-linux.sh "$arch" "$out/linux-$arch"
	scripts/bench/mkinitramfs.sh "$arch" "$BUILD/$arch" "$out/$arch-run.cpio" run --reps "$reps"
	scripts/bench/mkinitramfs.sh "$arch" "$BUILD/$arch" "$out/$arch-memory.cpio" memory
	scripts/bench/mkinitramfs.sh "$arch" "$BUILD/$arch" "$out/$arch-wall.cpio" run --reps 3
done

# 3. icount runs (+ 4. memory runs), one background job per architecture.
icount_runs() {
	local arch=$1 k kern

	for k in linux ferrite; do
		kern=$("${k}_kernel" "$arch")
		echo "bench: $arch $k (icount)" >&2
		boot "$logs/$arch-$k-icount.log" "$arch" "$kern" "$out/$arch-run.cpio" "$MEM" "${ICOUNT[@]}"
		echo "bench: $arch $k (memory, -m 128M)" >&2
		boot "$logs/$arch-$k-memory.log" "$arch" "$kern" "$out/$arch-memory.cpio" 128M "${ICOUNT[@]}"
	done
}
per_arch_parallel icount_runs

# 5. wall-clock runs, one at a time, interleaved.
for i in $(seq 1 "$wall_runs"); do
	for arch in $arches; do
		for k in ferrite linux; do
			echo "bench: $arch $k (wall clock, run $i/$wall_runs)" >&2
			boot "$logs/$arch-$k-wall-$i.log" "$arch" "$("${k}_kernel" "$arch")" \
				"$out/$arch-wall.cpio" "$MEM"
		done
	done
done

# 6. report
{
	echo "qemu $(qemu-system-x86_64 --version | head -n1)"
	for arch in $arches; do
		echo "linux-$arch $(cat "$out/linux-$arch/version")"
		echo "ferrite-$arch $(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)"
		echo "size-ferrite-$arch $(stat -c %s "$(ferrite_kernel "$arch")")"
		echo "size-linux-$arch $(stat -c %s "$(linux_kernel "$arch")")"
		strip=strip
		[ "$arch" = riscv64 ] && strip=riscv64-linux-gnu-strip
		$strip --strip-all -o "$out/kernel-$arch.stripped" "$(ferrite_kernel "$arch")"
		echo "strippedsize-ferrite-$arch $(stat -c %s "$out/kernel-$arch.stripped")"
	done
} > "$out/versions.txt"
python3 scripts/bench/report.py "$out" docs/benchmarks.md docs/benchmarks.png
[ "${BENCH_SMP:-1}" = 0 ] || BUILD="$BUILD" scripts/bench/smp.sh
[ "${BENCH_FS:-1}" = 0 ] || BUILD="$BUILD" scripts/bench/fs.sh
