#!/usr/bin/env bash
# Build a benchmark initramfs (cpio newc) with scripts/mkinitramfs.py:
# busybox and its applet links, /init = ferrite-bench (which prints the boot
# stamp first and then runs /etc/bench.sh), /usr/bin/ferrite-bench, and the
# mode files read by scripts/bench/init.sh.
#
# Usage: scripts/bench/mkinitramfs.sh ARCH BUILDDIR OUT.cpio MODE [BENCH-ARGS...]
#   BENCH_PROCS (environment, mode procs): the process counts, e.g. "1 2 4".
#   BENCH_MODULES (environment, mode fs): a folder of Linux modules with its
#   load order (scripts/judge/linux-fetch.sh), put in /lib/bench-modules.
#   BUILDDIR is the meson build directory of ARCH (bench/ferrite-bench,
#   user/busybox on riscv64).
set -euo pipefail

arch=${1:?usage: mkinitramfs.sh ARCH BUILDDIR OUT MODE [ARGS...]}
builddir=${2:?}
out=${3:?}
mode=${4:?}
shift 4
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bench=$builddir/bench/ferrite-bench
[ -x "$bench" ] || { echo "mkinitramfs: $bench not built" >&2; exit 1; }

runner=()
case "$arch" in
x86_64) busybox=/bin/busybox ;;
riscv64)
	busybox=$builddir/user/busybox
	runner=(--runner "$(command -v qemu-riscv64)")
	;;
*) echo "mkinitramfs: unknown arch $arch" >&2; exit 1 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "$mode" > "$tmp/bench-mode"
echo "$*" > "$tmp/bench-args"
echo "${BENCH_PROCS:-1}" > "$tmp/bench-procs"

args=(--busybox "$busybox" "${runner[@]}")
for d in root tmp proc dev sys etc usr/bin mnt; do
	args+=(--dir "$d")
done
args+=(--file "init=$bench" --file "usr/bin/ferrite-bench=$bench"
       --file "etc/bench.sh=$here/init.sh"
       --file "etc/bench-mode=$tmp/bench-mode" --file "etc/bench-args=$tmp/bench-args"
       --file "etc/bench-procs=$tmp/bench-procs")
if [ -n "${BENCH_MODULES:-}" ]; then
	args+=(--file "lib/bench-modules/order=$BENCH_MODULES/modules.order")
	for m in $(cat "$BENCH_MODULES/modules.order"); do
		args+=(--file "lib/bench-modules/$m.ko=$BENCH_MODULES/modules/$m.ko")
	done
fi
python3 "$top/scripts/mkinitramfs.py" "$out" "${args[@]}"
