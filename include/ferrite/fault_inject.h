/*
 * Fault injection (docs/reliability.md): with failslab=PERMILLION[,SEED
 * [,SITES[,TIMES]]] on the command line, or the same text written to
 * /proc/ferrite/fault_inject, the chosen sites fail at random, PERMILLION
 * times in a million, for user processes other than pid 1 (the fuzzer or
 * init that watches the rest). The sites:
 *   alloc    kmalloc and frame allocation (the default)
 *   pgtable  page-table pages (both HALs' table walks)
 *   uaccess  user copies: copy_{from,to}_user, clear_user,
 *            strncpy_from_user give -EFAULT, the _upto copies 0 bytes
 *   bio      block requests complete with -EIO
 * SITES joins names with '+' ("alloc+uaccess"), or is "all"; after TIMES
 * failures (when given) injection turns itself off.
 * Per task, as Linux's /proc/PID/task/TID/fail-nth: N written there makes
 * the N-th operation of any site in that task fail (and no other), N
 * counting down to 0 as the task goes; any user task, pid 1 too.
 * Every caller must turn a failure into an error. Off (one load and a
 * branch) when not asked for; compiled out of the host tests.
 */
#pragma once
#include <ferrite/types.h>

#define FI_ALLOC 1u
#define FI_PGTABLE 2u
#define FI_UACCESS 4u
#define FI_BIO 8u
#define FI_ALL 15u

/* fault_inject_armed: the low byte the sites failing at random (FI_*
 * bits), the rest how many tasks have a fail-nth armed, in FI_NTH_ONEs. */
#define FI_RANDOM_MASK 0xffu
#define FI_NTH_ONE 0x100u

#ifdef FERRITE_HOST
static inline bool fault_inject_site(unsigned site) { (void)site; return false; }
#else
/* 0 when fault injection is off everywhere. */
extern uint32_t fault_inject_armed;
bool fault_inject_fail_slow(unsigned site);
/* Should this operation of site (one FI_* bit) fail? */
static inline bool fault_inject_site(unsigned site)
{
	return __builtin_expect((__atomic_load_n(&fault_inject_armed, __ATOMIC_RELAXED) &
				 (site | ~FI_RANDOM_MASK)) != 0, 0) &&
	       fault_inject_fail_slow(site);
}
#endif
/* Should this allocation fail? */
static inline bool fault_inject_fail(void)
{
	return fault_inject_site(FI_ALLOC);
}
/* failslab=PERMILLION[,SEED[,SITES[,TIMES]]] from the command line. */
void fault_inject_setup(const char *arg);

struct task;
/* fail-nth of task t: how many operations until the one that fails (0:
 * none armed, or it fired). */
unsigned fault_inject_nth_get(const struct task *t);
/* Arm (n > 0) or disarm (n == 0) t's fail-nth. */
void fault_inject_nth_set(struct task *t, unsigned n);
