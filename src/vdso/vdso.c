/*
 * The vDSO's code (user mode, position independent, no relocations): the
 * clock entry points glibc looks up by name. Clocks the data block can
 * serve are computed from the user-readable counter exactly as the kernel's
 * hal_time_ns() does; everything else is the real system call.
 * clock_gettime of CLOCK_MONOTONIC (inline) and CLOCK_REALTIME (one call
 * further) with the arch's usual counter kind have fast paths (a few
 * guards, the counter, one multiply, one divide);
 * every other case takes the general path, which falls back to the syscall.
 * No locking: the data block is constant after boot but for one word, the
 * realtime offset, loaded once (include/ferrite/vdso.h).
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

/* The data block (vdso_data.c), filled by the kernel in its master copy;
 * hidden, so reached PC-relative without a GOT entry or relocation. */
extern const struct vdso_data vdso_data __attribute__((visibility("hidden")));

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

static inline uint64_t read_counter(void)
{
	uint64_t lo, hi; /* rdtsc clears the upper halves of rax and rdx */

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* The counter kind the fast path converts inline. */
#define FAST_KIND VDSO_CLOCK_TSC

/* Fast path guard: the counter has FAST_KIND. */
static inline int fast_path_usable(void)
{
	return vdso_data.kind == FAST_KIND;
}

/* CLOCK_MONOTONIC in ns from a VDSO_CLOCK_TSC counter. */
static inline uint64_t fast_mono_ns(void)
{
	uint64_t d = read_counter() - vdso_data.base;

	return (uint64_t)(((unsigned __int128)d * vdso_data.mult) >> 32);
}

/* The divisor of ns_split() in memory: divq takes it as its operand. */
static const uint64_t nsec_per_sec_word = NSEC_PER_SEC;

/* ns split into seconds and the rest with one divq (the compiler would
 * divide by the constant with several multiplies and shifts instead). */
static inline void ns_split(uint64_t ns, uint64_t *sec, uint64_t *rem)
{
	asm("divq %4" : "=a"(*sec), "=d"(*rem) : "a"(ns), "d"(0UL), "m"(nsec_per_sec_word));
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

static inline uint64_t read_counter(void)
{
	uint64_t t;

	asm volatile("rdtime %0" : "=r"(t));
	return t;
}

/* The counter kind the fast path converts inline. */
#define FAST_KIND VDSO_CLOCK_TIMEBASE_MUL

/* Fast path guard: the counter has FAST_KIND. On riscv64 mult is nonzero
 * exactly for that kind (include/ferrite/vdso.h), and the fast path loads
 * mult anyway, so testing it is cheaper than loading kind. */
static inline int fast_path_usable(void)
{
	return vdso_data.mult != 0;
}

/* CLOCK_MONOTONIC in ns from a VDSO_CLOCK_TIMEBASE_MUL counter. */
static inline uint64_t fast_mono_ns(void)
{
	return read_counter() * vdso_data.mult;
}

/* ns split into seconds and the rest (divu and remu). */
static inline void ns_split(uint64_t ns, uint64_t *sec, uint64_t *rem)
{
	*sec = ns / NSEC_PER_SEC;
	*rem = ns % NSEC_PER_SEC;
}
#else
#error "vDSO: unknown architecture"
#endif

/* Whether the data block describes a counter mono_ns() can convert. */
static int counter_usable(void)
{
	uint32_t kind = vdso_data.kind;

	return kind == FAST_KIND || kind == VDSO_CLOCK_TIMEBASE;
}

/* CLOCK_MONOTONIC in ns for any counter kind; false when the data block
 * cannot serve it. */
static int mono_ns(uint64_t *ns)
{
	uint32_t kind = vdso_data.kind;

	if (kind == FAST_KIND) {
		*ns = fast_mono_ns();
		return 1;
	}
	if (kind == VDSO_CLOCK_TIMEBASE) {
		uint64_t t = read_counter(), hz = vdso_data.hz;
		*ns = t / hz * NSEC_PER_SEC + t % hz * NSEC_PER_SEC / hz;
		return 1;
	}
	return 0;
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC: the one field the kernel changes after
 * boot (clock_settime), so read once, atomically. */
static inline uint64_t realtime_offset(void)
{
	return __atomic_load_n(&vdso_data.realtime_offset_ns, __ATOMIC_RELAXED);
}

/* What a clock is made of (as the kernel's clock_now_ns()). */
enum clock_source {
	FROM_SYSCALL,	/* not computed here */
	FROM_MONOTONIC,	/* the monotonic counter */
	FROM_REALTIME,	/* the monotonic counter + realtime_offset_ns */
};

static enum clock_source clock_source(int clk)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		return FROM_REALTIME;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		return FROM_MONOTONIC;
	}
	return FROM_SYSCALL;
}

/* The clock's value in ns, or false for the syscall path. */
static int clock_ns(int clk, uint64_t *ns)
{
	enum clock_source src = clock_source(clk);

	if (src == FROM_SYSCALL || !mono_ns(ns))
		return 0;
	if (src == FROM_REALTIME)
		*ns += realtime_offset();
	return 1;
}

static inline void ns_to_vts(uint64_t ns, struct vts *ts)
{
	uint64_t sec, rem;

	ns_split(ns, &sec, &rem);
	ts->tv_sec = (long)sec;
	ts->tv_nsec = (long)rem;
}

/* Every clock and counter kind but the CLOCK_MONOTONIC fast path; kept out
 * of line so that that path needs no stack frame and the fewest
 * instructions. */
static __attribute__((noinline)) int clock_gettime_general(int clk, struct vts *ts)
{
	uint64_t ns;

	/* Fast path of CLOCK_REALTIME: the fast counter kind, plus the offset
	 * (one aligned word, one load). */
	if (clk == CLOCK_REALTIME && fast_path_usable()) {
		ns_to_vts(fast_mono_ns() + realtime_offset(), ts);
		return 0;
	}
	if (!clock_ns(clk, &ns))
		return (int)vsyscall2(NR_CLOCK_GETTIME, clk, (long)ts);
	ns_to_vts(ns, ts);
	return 0;
}

int __vdso_clock_gettime(int clk, struct vts *ts);
int __vdso_clock_gettime(int clk, struct vts *ts)
{
	/* Fast path guards: the clock is CLOCK_MONOTONIC ... */
	if (__builtin_expect(clk != CLOCK_MONOTONIC, 0))
		return clock_gettime_general(clk, ts);
	/* ... and the counter has the kind this arch converts inline. */
	if (__builtin_expect(!fast_path_usable(), 0))
		return clock_gettime_general(clk, ts);
	ns_to_vts(fast_mono_ns(), ts);
	return 0;
}

int __vdso_gettimeofday(struct vtv *tv, void *tz);
int __vdso_gettimeofday(struct vtv *tv, void *tz)
{
	uint64_t ns, sec, rem;

	if (tz || !tv || !clock_ns(CLOCK_REALTIME, &ns))
		return (int)vsyscall2(NR_GETTIMEOFDAY, (long)tv, (long)tz);
	ns_split(ns, &sec, &rem);
	tv->tv_sec = (long)sec;
	tv->tv_usec = (long)(rem / 1000);
	return 0;
}

/* Resolution: 1 ns for the counter clocks, one tick for the coarse ones
 * (as sys_clock_getres); other clocks, and a data block that cannot serve
 * the clock, ask the kernel. */
int __vdso_clock_getres(int clk, struct vts *ts);
int __vdso_clock_getres(int clk, struct vts *ts)
{
	if (clock_source(clk) == FROM_SYSCALL || !counter_usable())
		return (int)vsyscall2(NR_CLOCK_GETRES, clk, (long)ts);
	if (ts) {
		ts->tv_sec = 0;
		ts->tv_nsec = clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE
				      ? (long)vdso_data.coarse_res_ns
				      : 1;
	}
	return 0;
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
	uint64_t ns, sec, rem;

	if (!clock_ns(CLOCK_REALTIME, &ns))
		return vsyscall2(NR_TIME, (long)t, 0);
	ns_split(ns, &sec, &rem);
	if (t)
		*t = (long)sec;
	return (long)sec;
}
#endif
