# Sourced by the benchmark scripts (run.sh, smp.sh, fs.sh): the repository
# top as working directory, the build, output and log folders, the
# architectures, the time limit of one QEMU run and the -icount flags they
# all share, and running one job per architecture at once.
# Environment: BUILD (default build), BENCH_ARCHES ("x86_64 riscv64"),
# BENCH_TIMEOUT (seconds per run, 900).
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
arches=${BENCH_ARCHES:-"x86_64 riscv64"}
limit=${BENCH_TIMEOUT:-900}
out=$BUILD/bench
logs=$out/logs
mkdir -p "$logs"
ICOUNT=(-icount shift=0,sleep=off -rtc base=2024-01-01T00:00:00,clock=vm -seed 1)

# per_arch_parallel FN: run "FN ARCH" for every architecture as background
# jobs (icount figures do not depend on host load), then wait for them all.
per_arch_parallel() {
	local fn=$1 arch p
	local -a pids=()

	for arch in $arches; do
		"$fn" "$arch" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p"
	done
}
