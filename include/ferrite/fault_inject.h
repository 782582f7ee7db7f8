/*
 * Fault injection (docs/reliability.md): with failslab=PERMILLION,SEED on
 * the command line, kmalloc and frame allocation fail at random, PERMILLION
 * times in a million, for user processes other than pid 1 (the fuzzer or
 * init that watches the rest). Every caller must turn that into an error.
 * Off (one load and a branch) when not asked for; compiled out of the
 * host tests.
 */
#pragma once
#include <ferrite/types.h>

#ifdef FERRITE_HOST
static inline bool fault_inject_fail(void) { return false; }
#else
extern uint32_t fault_inject_per_million;
bool fault_inject_fail_slow(void);
/* Should this allocation fail? */
static inline bool fault_inject_fail(void)
{
	return __builtin_expect(__atomic_load_n(&fault_inject_per_million, __ATOMIC_RELAXED) != 0, 0) &&
	       fault_inject_fail_slow();
}
#endif
/* failslab=PERMILLION[,SEED] from the command line. */
void fault_inject_setup(const char *arg);
