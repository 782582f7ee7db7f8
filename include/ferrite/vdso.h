/*
 * The vDSO: a small shared object mapped into every process at exec (read
 * and execute) and announced with AT_SYSINFO_EHDR, so glibc reads the clocks
 * without a system call. Its data block (struct vdso_data) lives inside the
 * image; the kernel fills it in its master copy (a vm_object) at the first
 * exec, and every exec maps that object privately, so all processes read
 * the same frames. Every field but realtime_offset_ns is constant after
 * boot, so readers need no seqlock; realtime_offset_ns (changed by
 * clock_settime/settimeofday) is one aligned 64-bit word that the kernel
 * stores atomically and a reader loads once.
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
	VDSO_CLOCK_TSC = 1,	/* x86_64: ns = ((rdtsc - base) * mult) >> 32, 128-bit product */
	VDSO_CLOCK_TIMEBASE = 2,	/* riscv64: ns = t / hz * 1e9 + t % hz * 1e9 / hz */
	VDSO_CLOCK_TIMEBASE_MUL = 3,	/* riscv64, hz divides 1e9: ns = t * mult */
};

struct vdso_data {
	uint64_t magic;		/* VDSO_DATA_MAGIC until the kernel fills it */
	uint32_t kind;		/* enum vdso_clock_kind */
	uint32_t coarse_res_ns;	/* clock_getres of the *_COARSE clocks (one tick) */
	uint64_t base;		/* TSC: counter value at CLOCK_MONOTONIC 0 */
	uint64_t mult;		/* TSC: ns per count << 32; TIMEBASE_MUL: ns per
				 * count; 0 for the other kinds */
	uint64_t hz;		/* TIMEBASE: counts per second */
	uint64_t realtime_offset_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC */
};

#ifndef FERRITE_VDSO_BUILD
struct mm;
/* Build the master copy once (idempotent; vdso_exec_map calls it). */
void vdso_init(void);
/* Map the vDSO into mm (privately); the address for AT_SYSINFO_EHDR, or 0
 * when there is none (never fatal for exec). */
uintptr_t vdso_exec_map(struct mm *mm);
/* Publish hal_boot_realtime_ns() (CLOCK_REALTIME - CLOCK_MONOTONIC) to
 * every process; call after hal_set_boot_realtime_ns(). */
void vdso_sync_realtime_offset(void);
/* Arch: the clock parameters matching hal_time_ns() exactly. */
void hal_vdso_clock(struct vdso_data *d);
#endif

#endif
