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
 *   "stack" (only with ferrite.sysrq=1) returns from a frame whose stack
 *   canary no longer matches: the stack protector panics.
 * A stray access in real kernel code ends the task from the trap handler
 * (what it held stays held, as after a Linux oops); a selftest probe
 * instead returns -EFAULT to its system call, which unwinds normally, and
 * SIGKILL ends the process on its way back to user mode.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <ferrite/procfs.h>
#include <ferrite/signal.h>
#include <ferrite/string.h>
#include <hal/hal_cpu.h>
#include <hal/hal_protect.h>
#include <hal/hal_trap.h>
#include "proc_internal.h"


void kernel_user_fault(struct trap_frame *tf, uintptr_t addr, uintptr_t pc, bool exec)
{
	struct task *t = current;

	if (!t || t->is_kthread || !t->proc)
		panic("kernel %s of user address %lx at pc %lx in a kernel thread",
		      exec ? "execution" : "access", addr, pc);
	pr_err("BUG: kernel %s of user address %lx at pc %lx stopped (%s); killing pid %d (%s)\n",
	       exec ? "execution" : "access", addr, pc,
	       exec ? "SMEP / no S-mode execution of user pages" : "SMAP / sstatus.SUM clear",
	       t->proc->pid, t->proc->comm);
	if (t->protect_probe) {
		/* The selftest: the probe returns -EFAULT, its system call
		 * unwinds (dropping its references), and SIGKILL ends the
		 * process on the way out. */
		t->protect_probe = false;
		send_signal_process(t->proc, SIGKILL);
		hal_frame_return_from_probe(tf, -EFAULT);
		return;
	}
	/* A real bug: whatever the call held stays held; the task ends. */
	hal_irq_enable();
	process_kill_current(SIGKILL);
}

extern uintptr_t __stack_chk_guard;
extern bool sysrq_crash_allowed;

/* A protected frame whose canary no longer matches, as after an overflow
 * of buf: the guard is changed instead of the stack, so the saved frame
 * pointers stay intact for the panic's backtrace. */
static __attribute__((noinline)) void stack_victim(void)
{
	volatile char buf[32];

	buf[0] = 1;
	WRITE_ONCE(__stack_chk_guard, __stack_chk_guard ^ 0x5a5a0000UL);
	(void)buf[0];
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
		t->protect_probe = true;
		long v = hal_probe_read((const void *)(hal_frame_sp(t->tf) & ~7UL));
		bool survived = t->protect_probe;
		t->protect_probe = false;
		(void)v;
		return survived ? -EIO : -EFAULT; /* -EIO: nothing stopped the read */
	}
	if (len == 4 && !memcmp(text, "smep", 4)) {
		if (!(have & HAL_PROTECT_SMEP))
			return -EOPNOTSUPP;
		void (*user_code)(void) = (void (*)(void))hal_frame_pc(t->tf);
		t->protect_probe = true;
		user_code(); /* faults at its first instruction */
		bool survived = t->protect_probe;
		t->protect_probe = false;
		return survived ? -EIO : -EFAULT;
	}
	if (len == 5 && !memcmp(text, "stack", 5)) {
		/* The stack protector panics, as Linux: only with
		 * ferrite.sysrq=1, like /proc/sysrq-trigger's crash. */
		if (!READ_ONCE(sysrq_crash_allowed))
			return -EPERM;
		stack_victim();
		return -EIO; /* not reached */
	}
	return -EINVAL;
}
