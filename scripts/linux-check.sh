#!/usr/bin/env bash
# Run Ferrite's guest tests on Linux, to prove the tests themselves are right:
# natively for x86_64, under qemu-riscv64 (user mode) for riscv64. Uses the
# binaries built in BUILDDIR/user/tests and the same runner as the guest.
# Prints the runner's PASS/FAIL lines and exits non-zero on any failure.
#
# Usage: scripts/linux-check.sh ARCH BUILDDIR
set -euo pipefail

arch=${1:?usage: linux-check.sh ARCH BUILDDIR}
builddir=${2:?usage: linux-check.sh ARCH BUILDDIR}
tests=$(cd "$builddir/user/tests" && pwd)

if [ ! -x "$tests/runner" ]; then
	echo "linux-check: $tests/runner not built (ninja -C $builddir)" >&2
	exit 1
fi

# Each run gets its own scratch /tmp names (the tests use their pid), and a
# bound on time so a hung test cannot hang the harness.
case "$arch" in
x86_64)
	exec timeout 300 "$tests/runner" "$tests"
	;;
riscv64)
	qemu=$(command -v qemu-riscv64) || { echo "linux-check: qemu-riscv64 missing" >&2; exit 1; }
	# No binfmt_misc here: the runner and exec_args exec riscv64 programs
	# through qemu-riscv64 (see test_execve in user/tests/common.h).
	# Dynamically linked tests find ld.so and glibc below QEMU_LD_PREFIX
	# (Debian's riscv64 cross libc6).
	FERRITE_TEST_EXEC_PREFIX=$qemu FERRITE_TEST_QEMU_USER=1 \
		QEMU_LD_PREFIX=${QEMU_LD_PREFIX:-/usr/riscv64-linux-gnu} \
		exec timeout 300 "$qemu" "$tests/runner" "$tests"
	;;
*)
	echo "linux-check: unknown arch $arch" >&2
	exit 1
	;;
esac
