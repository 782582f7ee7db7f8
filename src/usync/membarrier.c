/*
 * membarrier(2): a memory barrier on every thread that runs the caller's
 * address space (private commands) or every thread (global commands), so
 * that user space can make one side of a fence cheap.
 *
 * A thread that is switched out passed a full barrier (a context switch
 * is one); a thread running on another CPU gets an IPI and answers it,
 * which is a full barrier there (smp_membarrier, src/proc/smp.c): the
 * private commands ask only the CPUs running the caller's address space,
 * the global ones every CPU. The caller waits for every answer.
 *
 * Registration (needed before the private expedited commands, EPERM
 * otherwise, as Linux) is per process and inherited by fork, not by exec.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/task.h>

#define MEMBARRIER_CMD_QUERY 0
#define MEMBARRIER_CMD_GLOBAL (1 << 0)
#define MEMBARRIER_CMD_GLOBAL_EXPEDITED (1 << 1)
#define MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED (1 << 2)
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED (1 << 3)
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED (1 << 4)
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE (1 << 5)
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE (1 << 6)
#define MEMBARRIER_CMD_GET_REGISTRATIONS (1 << 9)

#define SUPPORTED                                                                                \
	(MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED |                               \
	 MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED |           \
	 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE | \
	 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE | MEMBARRIER_CMD_GET_REGISTRATIONS)

#include <ferrite/vm.h>

static void membarrier_mm(void)
{
	struct mm *mm = current->proc->mm;

	smp_membarrier(mm ? mm->pt : NULL);
}

static void membarrier_all(void)
{
	smp_membarrier(NULL);
}

long sys_membarrier(int cmd, unsigned flags, int cpu_id)
{
	struct process *p = current->proc;
	unsigned reg = __atomic_load_n(&p->membarrier_registered, __ATOMIC_ACQUIRE);

	(void)cpu_id; /* only for the rseq command, which is not supported */
	if (flags)
		return -EINVAL;
	switch (cmd) {
	case MEMBARRIER_CMD_QUERY:
		return SUPPORTED;
	case MEMBARRIER_CMD_GET_REGISTRATIONS:
		return reg;
	case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
	case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
	case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
		__atomic_fetch_or(&p->membarrier_registered, (unsigned)cmd, __ATOMIC_ACQ_REL);
		return 0;
	case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
		if (!(reg & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
			return -EPERM;
		membarrier_mm();
		return 0;
	case MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE:
		if (!(reg & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE))
			return -EPERM;
		membarrier_mm();
		return 0;
	case MEMBARRIER_CMD_GLOBAL:
	case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
		membarrier_all();
		return 0;
	}
	return -EINVAL;
}
