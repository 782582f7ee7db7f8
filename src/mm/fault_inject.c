/*
 * Fault injection for kmalloc and frame allocation (failslab=, see
 * include/ferrite/fault_inject.h). The decision comes from one global
 * splitmix64 stream advanced atomically, so a seed gives the same
 * failures for the same order of allocations. Only tasks of user
 * processes with pid > 1 are failed: the kernel's
 * own threads, boot, and the fuzzer (pid 1) that must judge the result
 * allocate normally. No locks.
 */
#include <ferrite/cpu.h>
#include <ferrite/fault_inject.h>
#include <ferrite/printk.h>
#include <ferrite/task.h>

uint32_t fault_inject_per_million;
static uint64_t fault_state;
static unsigned long fault_count;

bool fault_inject_fail_slow(void)
{
	struct task *t = current;

	if (!t || t->is_kthread || !t->proc || t->proc->pid <= 1)
		return false;
	uint64_t z = __atomic_add_fetch(&fault_state, 0x9e3779b97f4a7c15ull, __ATOMIC_RELAXED);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	if (z % 1000000 >= fault_inject_per_million)
		return false;
	__atomic_fetch_add(&fault_count, 1, __ATOMIC_RELAXED);
	return true;
}

static unsigned long parse_ulong(const char **s)
{
	unsigned long v = 0;
	while (**s >= '0' && **s <= '9')
		v = v * 10 + (unsigned long)(*(*s)++ - '0');
	return v;
}

void fault_inject_setup(const char *arg)
{
	unsigned long p = parse_ulong(&arg);
	unsigned long seed = 0;

	if (*arg == ',') {
		arg++;
		seed = parse_ulong(&arg);
	}
	if (p > 1000000)
		p = 1000000;
	fault_state = seed;
	__atomic_store_n(&fault_inject_per_million, (uint32_t)p, __ATOMIC_RELAXED);
	pr_info("fault injection: kmalloc and frame allocation fail %lu times in a million "
		"(seed %lu) for processes other than pid 1\n", p, seed);
}
