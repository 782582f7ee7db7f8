/*
 * The fail-nth sweep (--fail-nth K, docs/reliability.md): syzkaller's way
 * to walk every error path of one call. Sweep seq runs a short fresh
 * program whose last call is table entry seq % ncalls (so consecutive
 * sweeps walk the whole table) again and again, with fail-nth 1, 2, ...
 * armed for that call alone (/proc/thread-self/fail-nth, Ferrite's and
 * Linux's per-task fault injection): the n-th fault-injectable kernel
 * operation of the call (an allocation, a page-table page, a user copy, a
 * block request) fails. The sweep stops at the first n the call never
 * reaches, or at K. Each run is a whole sequence in its own child, so the
 * call always meets the same state; the usual checks (hangs, kernel
 * warnings and panics on the console, leaks after each batch) judge it.
 * The child side runs between argument generation and the system call,
 * so nothing but the call itself meets the armed count.
 */
#include "sysfuzz.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FAILNTH_FD 950 /* out of the pool's way */

void sweep_prog(struct prog *pg, const struct options *o, uint64_t seed, uint32_t seq)
{
	prog_generate(pg, seed, seq, o->sweep_calls > 0 ? o->sweep_calls : 1);
	pg->c[pg->n - 1].idx = seq % ncalls;
	pg->fault_call = (int32_t)pg->n - 1;
}

int failnth_arm(uint32_t n)
{
	char text[16];
	int fd = open("/proc/thread-self/fail-nth", O_RDWR);

	if (fd < 0)
		return -1;
	int high = dup2(fd, FAILNTH_FD) == FAILNTH_FD ? FAILNTH_FD : -1;
	close(fd);
	int len = snprintf(text, sizeof(text), "%u", n);
	if (high < 0 || pwrite(high, text, (size_t)len, 0) != len) {
		if (high >= 0)
			close(high);
		return -1;
	}
	return high;
}

enum fault_state failnth_result(int fd)
{
	char text[16];
	/* The first call after the one tested: an operation left over would
	 * fail in it (a pread failed by the count is EFAULT: not fired). */
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	(void)!pwrite(fd, "0", 1, 0);
	close(fd);
	if (n <= 0)
		return FAULT_NOT_FIRED;
	text[n] = '\0';
	return strtoul(text, NULL, 10) == 0 ? FAULT_FIRED : FAULT_NOT_FIRED;
}

/* Per call of the table: the deepest operation failed. */
static uint32_t depth[COVER_CALLS];
static unsigned long swept, injected, cut;

void sweep_note(unsigned idx, unsigned fired, bool cut_at_max)
{
	swept++;
	injected += fired;
	cut += cut_at_max;
	if (idx < COVER_CALLS && fired > depth[idx])
		depth[idx] = fired;
}

void sweep_report(int max)
{
	unsigned reached = 0, deepest = 0;

	for (unsigned i = 0; i < ncalls && i < COVER_CALLS; i++) {
		reached += depth[i] > 0;
		if (depth[i] > depth[deepest])
			deepest = i;
	}
	printf("sysfuzz: fail-nth sweep: %lu calls swept, %lu injected failures, %u of %u "
	       "syscalls failed at least once, %lu sweeps cut at fail-nth %d; deepest: %s (%u)\n",
	       swept, injected, reached, ncalls, cut, max, calls[deepest].name, depth[deepest]);
	printf("sysfuzz: fail-nth depth per syscall:");
	for (unsigned i = 0; i < ncalls && i < COVER_CALLS; i++)
		if (depth[i])
			printf(" %s %u", calls[i].name, depth[i]);
	printf("\n");
}
