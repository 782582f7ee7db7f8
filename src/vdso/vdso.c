/*
 * The vDSO's code (user mode, position independent, no relocations): the
 * clock entry points glibc looks up by name. Clocks the data block can
 * serve are computed from the user-readable counter exactly as the kernel's
 * hal_time_ns() does; everything else is the real system call.
 * No locking: the data block is read only (see include/ferrite/vdso.h).
 */
#define FERRITE_VDSO_BUILD
#include <ferrite/vdso.h>

struct vts {
	long tv_sec;
	long tv_nsec;
};

struct vtv {
	long tv_sec;
	long tv_usec;
};

#define NSEC_PER_SEC 1000000000ULL
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7

/* Filled by the kernel in its master copy (found by its magic). */
static volatile struct vdso_data vdso_data __attribute__((used, aligned(64))) = {
	.magic = VDSO_DATA_MAGIC,
};

#if defined(__x86_64__)
#define NR_CLOCK_GETTIME 228
#define NR_GETTIMEOFDAY 96
#define NR_TIME 201
#define NR_GETCPU 309
#define NR_CLOCK_GETRES 229

static long vsyscall2(long nr, long a, long b)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

static long vsyscall3(long nr, long a, long b, long c)
{
	long ret;

	asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return ret;
}

static uint64_t read_counter(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
#elif defined(__riscv)
#define NR_CLOCK_GETTIME 113
#define NR_GETTIMEOFDAY 169
#define NR_GETCPU 168
#define NR_CLOCK_GETRES 114

static long vsyscall3(long nr, long a, long b, long c)
{
	register long a7 asm("a7") = nr;
	register long a0 asm("a0") = a;
	register long a1 asm("a1") = b;
	register long a2 asm("a2") = c;

	asm volatile("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2) : "memory");
	return a0;
}

static long vsyscall2(long nr, long a, long b)
{
	return vsyscall3(nr, a, b, 0);
}

static uint64_t read_counter(void)
{
	uint64_t t;

	asm volatile("rdtime %0" : "=r"(t));
	return t;
}
#else
#error "vDSO: unknown architecture"
#endif

/* CLOCK_MONOTONIC in ns; false when the data block cannot serve it. */
static int mono_ns(uint64_t *ns)
{
	uint32_t kind = vdso_data.kind;

	if (kind == VDSO_CLOCK_TSC) {
		uint64_t d = read_counter() - vdso_data.base;
		*ns = (uint64_t)(((unsigned __int128)d * vdso_data.mult) >> 32);
		return 1;
	}
	if (kind == VDSO_CLOCK_TIMEBASE) {
		uint64_t t = read_counter() - vdso_data.base, hz = vdso_data.hz;
		*ns = t / hz * NSEC_PER_SEC + t % hz * NSEC_PER_SEC / hz;
		return 1;
	}
	return 0;
}

/* The clock's value in ns, or false for the syscall path. */
static int clock_ns(int clk, uint64_t *ns)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		if (!mono_ns(ns))
			return 0;
		*ns += vdso_data.boot_realtime_ns;
		return 1;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		return mono_ns(ns);
	}
	return 0;
}

int __vdso_clock_gettime(int clk, struct vts *ts);
int __vdso_clock_gettime(int clk, struct vts *ts)
{
	uint64_t ns;

	if (!clock_ns(clk, &ns))
		return (int)vsyscall2(NR_CLOCK_GETTIME, clk, (long)ts);
	ts->tv_sec = (long)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
	return 0;
}

int __vdso_gettimeofday(struct vtv *tv, void *tz);
int __vdso_gettimeofday(struct vtv *tv, void *tz)
{
	uint64_t ns;

	if (tz || !tv || !clock_ns(CLOCK_REALTIME, &ns))
		return (int)vsyscall2(NR_GETTIMEOFDAY, (long)tv, (long)tz);
	tv->tv_sec = (long)(ns / NSEC_PER_SEC);
	tv->tv_usec = (long)(ns % NSEC_PER_SEC / 1000);
	return 0;
}

int __vdso_clock_getres(int clk, struct vts *ts);
int __vdso_clock_getres(int clk, struct vts *ts)
{
	return (int)vsyscall2(NR_CLOCK_GETRES, clk, (long)ts);
}

int __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused);
int __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	return (int)vsyscall3(NR_GETCPU, (long)cpu, (long)node, (long)unused);
}

#if defined(__x86_64__)
long __vdso_time(long *t);
long __vdso_time(long *t)
{
	uint64_t ns;

	if (!clock_ns(CLOCK_REALTIME, &ns))
		return vsyscall2(NR_TIME, (long)t, 0);
	long s = (long)(ns / NSEC_PER_SEC);
	if (t)
		*t = s;
	return s;
}
#endif
