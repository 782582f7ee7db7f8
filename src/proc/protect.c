/*
 * Kernel self-protection, the portable half (docs/reliability.md):
 * - kernel_user_fault(): the arch trap code calls it when the kernel
 *   touched or executed a user address outside the user-copy routines,
 *   which SMAP/SMEP (x86_64) or the clear sstatus.SUM (riscv64) stopped.
 *   It reports the access (a "BUG:" line, as a fuzzer run looks for) and
 *   ends the task, so the kernel lives on; a kernel thread panics.
 * - /proc/ferrite/selftest (root): "smap" makes the kernel read a user
 *   page of the caller directly, "smep" makes it call into the caller's
 *   user code, both outside any user-copy routine: the caller is killed
 *   and the console says why. -EOPNOTSUPP when the CPU cannot stop it
 *   (x86_64 without SMAP or SMEP: the access would simply happen).
 * No locks: the selftest holds none when it faults, which is what makes
 * ending the task from the trap handler safe there.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <ferrite/procfs.h>
#include <ferrite/string.h>
#include <hal/hal_cpu.h>
#include <hal/hal_protect.h>
#include <hal/hal_trap.h>
#include "proc_internal.h"

#define SIGKILL 9

void kernel_user_fault(uintptr_t addr, uintptr_t pc, bool exec)
{
	struct task *t = current;

	if (!t || t->is_kthread || !t->proc)
		panic("kernel %s of user address %lx at pc %lx in a kernel thread",
		      exec ? "execution" : "access", addr, pc);
	pr_err("BUG: kernel %s of user address %lx at pc %lx stopped (%s); killing pid %d (%s)\n",
	       exec ? "execution" : "access", addr, pc,
	       exec ? "SMEP / no S-mode execution of user pages" : "SMAP / sstatus.SUM clear",
	       t->proc->pid, t->proc->comm);
	hal_irq_enable();
	process_kill_current(SIGKILL);
}

int protect_selftest(const char *text, size_t len)
{
	struct task *t = current;
	unsigned have = hal_protections();

	while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	if (!t || !t->tf)
		return -EINVAL;
	if (len == 4 && !memcmp(text, "smap", 4)) {
		if (!(have & HAL_PROTECT_SMAP))
			return -EOPNOTSUPP;
		/* The caller's stack page: mapped, present, user. */
		volatile uint64_t *p = (volatile uint64_t *)(hal_frame_sp(t->tf) & ~7UL);
		(void)*p;
		return -EIO; /* not reached: the read must fault */
	}
	if (len == 4 && !memcmp(text, "smep", 4)) {
		if (!(have & HAL_PROTECT_SMEP))
			return -EOPNOTSUPP;
		void (*user_code)(void) = (void (*)(void))hal_frame_pc(t->tf);
		user_code();
		return -EIO;
	}
	return -EINVAL;
}
