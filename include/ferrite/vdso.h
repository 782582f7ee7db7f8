/*
 * The vDSO: a small shared object mapped into every process at exec (read
 * and execute) and announced with AT_SYSINFO_EHDR, so glibc reads the clocks
 * without a system call. Its data block (struct vdso_data) lives inside the
 * image; the kernel fills it in its master copy at the first exec, and each
 * exec maps a private copy. The fields never change after boot (there is no
 * clock_settime), so the copies stay exact; seq is kept for a future writer
 * (odd while an update is in progress).
 * Shared by the kernel (src/vdso/vdso_map.c) and the vDSO (src/vdso/vdso.c).
 */
#ifndef FERRITE_VDSO_H
#define FERRITE_VDSO_H

#ifdef FERRITE_VDSO_BUILD
#include <stdint.h>
#else
#include <ferrite/types.h>
#endif

#define VDSO_DATA_MAGIC 0x617461446f736456ULL /* "VdsoData" */

enum vdso_clock_kind {
	VDSO_CLOCK_NONE = 0,	/* no user-mode counter: always the syscall */
	VDSO_CLOCK_TSC = 1,	/* x86_64: ns = ((rdtsc - base) * mult) >> 32 */
	VDSO_CLOCK_TIMEBASE = 2,	/* riscv64: ns from rdtime (from 0) at hz */
};

struct vdso_data {
	uint64_t magic;		/* VDSO_DATA_MAGIC until the kernel fills it */
	uint32_t seq;
	uint32_t kind;		/* enum vdso_clock_kind */
	uint64_t base;		/* counter value at CLOCK_MONOTONIC 0 */
	uint64_t mult;		/* TSC: ns per count << 32 */
	uint64_t hz;		/* TIMEBASE: counts per second */
	uint64_t boot_realtime_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
};

#ifndef FERRITE_VDSO_BUILD
struct mm;
/* Build the master copy once (idempotent; vdso_exec_map calls it). */
void vdso_init(void);
/* Map a copy of the vDSO into mm; the address for AT_SYSINFO_EHDR, or 0
 * when there is none (never fatal for exec). */
uintptr_t vdso_exec_map(struct mm *mm);
/* Arch: the clock parameters matching hal_time_ns() exactly. */
void hal_vdso_clock(struct vdso_data *d);
#endif

#endif
