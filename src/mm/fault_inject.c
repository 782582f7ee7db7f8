/*
 * Fault injection (include/ferrite/fault_inject.h): failslab= on the
 * command line and /proc/ferrite/fault_inject, and each task's fail-nth
 * (/proc/PID/task/TID/fail-nth, src/fs/procfs_task.c).
 * The random decision comes from one global splitmix64 stream advanced
 * atomically, so a seed gives the same failures for the same order of
 * operations. Only tasks of user processes with pid > 1 are failed at
 * random: the kernel's own threads, boot, and the fuzzer (pid 1) that must
 * judge the result run normally. A fail-nth counts down in its task only
 * (any user task: it was asked for), and while it is armed the random
 * stream leaves that task alone, as Linux's should_fail.
 * No locks: the settings are single words (a reader may see an old rate
 * with new sites for one decision, which is harmless), the counts atomic.
 * t->fail_nth changes by compare-and-swap (its task counting down, a
 * writer of the proc file re-arming it), so fault_inject_armed counts
 * every armed task exactly once.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/fault_inject.h>
#include <ferrite/printk.h>
#include <ferrite/procfs.h>
#include <ferrite/string.h>
#include <ferrite/task.h>

#define NSITES 4
static const char *const site_names[NSITES] = { "alloc", "pgtable", "uaccess", "bio" };

uint32_t fault_inject_armed;
static uint32_t fault_per_million;
static uint64_t fault_seed;
static uint64_t fault_state;
static long fault_times = -1; /* failures left (then off), -1: no limit */
static unsigned long fault_count[NSITES];

static unsigned random_sites(void)
{
	return __atomic_load_n(&fault_inject_armed, __ATOMIC_RELAXED) & FI_RANDOM_MASK;
}

/* Replace the low byte of fault_inject_armed (the armed tasks stay). */
static void set_random_sites(unsigned sites, int order)
{
	uint32_t old = __atomic_load_n(&fault_inject_armed, __ATOMIC_RELAXED);

	while (!__atomic_compare_exchange_n(&fault_inject_armed, &old,
					    (old & ~FI_RANDOM_MASK) | sites, false, order,
					    __ATOMIC_RELAXED))
		;
}

static void count_failure(unsigned site)
{
	unsigned i = 0;

	while (i < NSITES - 1 && !(site & (1u << i)))
		i++; /* no __builtin_ctz: riscv64 without Zbb would call libgcc */
	__atomic_fetch_add(&fault_count[i], 1, __ATOMIC_RELAXED);
}

/* Count t's fail-nth down: 1 when this operation is the one to fail, 0
 * when it is not, -1 when t has none armed. */
static int nth_step(struct task *t)
{
	unsigned n = __atomic_load_n(&t->fail_nth, __ATOMIC_RELAXED);

	do {
		if (n == 0)
			return -1;
	} while (!__atomic_compare_exchange_n(&t->fail_nth, &n, n - 1, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	if (n > 1)
		return 0;
	__atomic_fetch_sub(&fault_inject_armed, FI_NTH_ONE, __ATOMIC_RELAXED);
	return 1;
}

unsigned fault_inject_nth_get(const struct task *t)
{
	return __atomic_load_n(&t->fail_nth, __ATOMIC_RELAXED);
}

void fault_inject_nth_set(struct task *t, unsigned n)
{
	unsigned old = __atomic_exchange_n(&t->fail_nth, n, __ATOMIC_RELAXED);

	if (!old && n)
		__atomic_fetch_add(&fault_inject_armed, FI_NTH_ONE, __ATOMIC_RELAXED);
	else if (old && !n)
		__atomic_fetch_sub(&fault_inject_armed, FI_NTH_ONE, __ATOMIC_RELAXED);
}

static bool random_fail(struct task *t, unsigned site)
{
	if (!(random_sites() & site) || !t->proc || t->proc->pid <= 1)
		return false;
	uint64_t z = __atomic_add_fetch(&fault_state, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	if (z % 1000000 >= __atomic_load_n(&fault_per_million, __ATOMIC_RELAXED))
		return false;
	long left = __atomic_load_n(&fault_times, __ATOMIC_RELAXED);
	if (left >= 0) {
		do {
			if (left == 0)
				return false;
		} while (!__atomic_compare_exchange_n(&fault_times, &left, left - 1, false,
						      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
		if (left == 1)
			set_random_sites(0, __ATOMIC_RELAXED);
	}
	return true;
}

bool fault_inject_fail_slow(unsigned site)
{
	struct task *t = current;
	bool fail;

	if (!t || t->is_kthread)
		return false;
	int nth = __atomic_load_n(&fault_inject_armed, __ATOMIC_RELAXED) >= FI_NTH_ONE ?
			  nth_step(t) : -1;
	fail = nth >= 0 ? nth == 1 : random_fail(t, site);
	if (fail)
		count_failure(site);
	return fail;
}

static const char *skip_blanks(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t' || *s == '\n'))
		s++;
	return s;
}

static int parse_ulong(const char **s, const char *end, unsigned long *out)
{
	unsigned long v = 0;
	const char *p = *s;

	if (p == end || *p < '0' || *p > '9')
		return -EINVAL;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (~0ul - 9) / 10)
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	*s = p;
	*out = v;
	return 0;
}

/* "alloc+uaccess" or "all"; the end is a blank, a newline or end. */
static int parse_sites(const char **s, const char *end, unsigned *out)
{
	const char *p = *s;
	unsigned sites = 0;

	for (;;) {
		const char *w = p;
		while (p < end && *p != '+' && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		size_t len = (size_t)(p - w);
		unsigned bit = 0;
		if (len == 3 && !memcmp(w, "all", 3))
			bit = FI_ALL;
		for (unsigned i = 0; i < NSITES && !bit; i++)
			if (strlen(site_names[i]) == len && !memcmp(w, site_names[i], len))
				bit = 1u << i;
		if (!bit)
			return -EINVAL;
		sites |= bit;
		if (p == end || *p != '+')
			break;
		p++;
	}
	*s = p;
	*out = sites;
	return 0;
}

/* "PERMILLION[,SEED[,SITES[,TIMES]]]" (',' or blanks between): apply it. */
static int configure(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	unsigned long rate, seed = 0, times = 0;
	unsigned sites = FI_ALLOC;
	bool limited = false;

	p = skip_blanks(p, end);
	if (parse_ulong(&p, end, &rate) || rate > 1000000)
		return -EINVAL;
	if (p < end && (*p == ',' || *p == ' ')) {
		p = skip_blanks(p + 1, end);
		if (p < end && parse_ulong(&p, end, &seed))
			return -EINVAL;
	}
	if (p < end && (*p == ',' || *p == ' ')) {
		p = skip_blanks(p + 1, end);
		if (p < end && parse_sites(&p, end, &sites))
			return -EINVAL;
	}
	if (p < end && (*p == ',' || *p == ' ')) {
		p = skip_blanks(p + 1, end);
		if (p < end) {
			if (parse_ulong(&p, end, &times) || times > (~0ul >> 1))
				return -EINVAL;
			limited = true;
		}
	}
	if (skip_blanks(p, end) != end)
		return -EINVAL;
	/* Off first, so no decision mixes the old rate with the new stream. */
	set_random_sites(0, __ATOMIC_RELAXED);
	__atomic_store_n(&fault_per_million, (uint32_t)rate, __ATOMIC_RELAXED);
	__atomic_store_n(&fault_seed, seed, __ATOMIC_RELAXED);
	__atomic_store_n(&fault_state, seed, __ATOMIC_RELAXED);
	__atomic_store_n(&fault_times, limited ? (long)times : -1L, __ATOMIC_RELAXED);
	set_random_sites(rate ? sites : 0, __ATOMIC_RELEASE);
	return 0;
}

void fault_inject_setup(const char *arg)
{
	size_t len = 0;

	while (arg[len] && arg[len] != ' ')
		len++;
	if (configure(arg, len)) {
		pr_warn("fault injection: cannot parse failslab=%s\n", arg);
		return;
	}
	pr_info("fault injection: sites %#x fail %u times in a million (seed %llu) for "
		"processes other than pid 1\n",
		random_sites(), fault_per_million, (unsigned long long)fault_seed);
}

/* /proc/ferrite/fault_inject: the settings and the failures so far. */
int procfs_show_fault_inject(struct pbuf *b, pid_t pid)
{
	unsigned sites = random_sites();

	(void)pid;
	pbuf_printf(b, "per_million %u\nseed %llu\nsites ", sites ? fault_per_million : 0,
		    (unsigned long long)fault_seed);
	bool any = false;
	for (unsigned i = 0; i < NSITES; i++)
		if (sites & (1u << i)) {
			pbuf_printf(b, "%s%s", any ? "+" : "", site_names[i]);
			any = true;
		}
	pbuf_printf(b, "%s\ntimes %ld\n", any ? "" : "none",
		    __atomic_load_n(&fault_times, __ATOMIC_RELAXED));
	for (unsigned i = 0; i < NSITES; i++)
		pbuf_printf(b, "failed_%s %lu\n", site_names[i],
			    __atomic_load_n(&fault_count[i], __ATOMIC_RELAXED));
	return 0;
}

int procfs_store_fault_inject(const char *text, size_t len)
{
	return configure(text, len);
}
