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
 * - kernel_wx_fault(): the same for a kernel write to its own text or
 *   rodata, or a fetch from its data, heap or direct map (W^X, the arch's
 *   wx.c). Selftest words "wx-text", "wx-rodata", "wx-alias" (the direct
 *   map's view of the text) write, "wx-data" and "wx-heap" execute a
 *   return instruction; each must kill the caller.
 *   "stack" (only with ferrite.sysrq=1) returns from a frame whose stack
 *   canary no longer matches: the stack protector panics.
 *   "stack-overflow" (ferrite.sysrq=1 too) recurses into the guard page
 *   below the kernel stack (task.c): kernel_stack_overflow_check(), called
 *   by the arch on its emergency stack (x86_64 #DF on IST1, riscv64's
 *   trap entry), reports the task and panics. "idle-stack-overflow"
 *   does it in the idle loop of the last online CPU (the boot stack when
 *   there is one CPU): idle stacks have guard pages too.
 *   "hung-task" sleeps uninterruptibly for twice hung_task_timeout (at
 *   most 30 s): the hung-task detector (hung_task.c) must report it.
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
#include <ferrite/task.h>
#include <ferrite/sched.h>
#include <ferrite/timespec.h>
#include <ferrite/cleanup.h>
#include <ferrite/kmalloc.h>
#include <hal/hal_cpu.h>
#include <hal/hal_mmu.h>
#include <hal/hal_protect.h>
#include <hal/hal_timer.h>
#include <hal/hal_trap.h>
#include "proc_internal.h"


/* The CPU stopped a forbidden kernel access: report it ("BUG: kernel
 * <what> <addr> at pc <pc> stopped (<why>)") and end the task, or return
 * from a selftest probe. A kernel thread has no task to end: panic. */
static void protect_violation(struct trap_frame *tf, const char *what, uintptr_t addr,
			      uintptr_t pc, const char *why)
{
	struct task *t = current;

	if (!t || t->is_kthread || !t->proc)
		panic("kernel %s %lx at pc %lx in a kernel thread (%s)", what, addr, pc, why);
	pr_err("BUG: kernel %s %lx at pc %lx stopped (%s); killing pid %d (%s)\n", what, addr, pc,
	       why, t->proc->pid, t->proc->comm);
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

void kernel_user_fault(struct trap_frame *tf, uintptr_t addr, uintptr_t pc, bool exec)
{
	protect_violation(tf, exec ? "execution of user address" : "access of user address", addr,
			  pc, exec ? "SMEP / no S-mode execution of user pages" : "SMAP / sstatus.SUM clear");
}

void kernel_wx_fault(struct trap_frame *tf, uintptr_t addr, uintptr_t pc, bool exec)
{
	protect_violation(tf,
			  exec ? "execution of non-executable kernel memory at"
			       : "write to read-only kernel memory at",
			  addr, pc, exec ? "W^X: kernel data is never executable"
					 : "W^X: kernel text and rodata are read-only");
}

void kernel_stack_overflow_check(uintptr_t sp, uintptr_t pc)
{
	struct task *t = current;
	uintptr_t base;

	if (!t || !t->kstack)
		return;
	base = (uintptr_t)t->kstack;
	/* In the guard page, or about to push a frame into it. */
	if (sp < base - PAGE_SIZE || sp >= base + 1024)
		return;
	if (t == hal_cpu_self()->idle) {
		/* The idle task's stack: the boot stack on the boot CPU. */
		pr_err("BUG: kernel stack overflow in the idle task of cpu %u: sp %lx at pc %lx, "
		       "stack %lx-%lx, guard page %lx\n",
		       hal_cpu_id(), sp, pc, base, base + KSTACK_SIZE, base - PAGE_SIZE);
		panic("kernel stack overflow in the idle task of cpu %u", hal_cpu_id());
	}
	pr_err("BUG: kernel stack overflow in tid %d pid %d (%s): sp %lx at pc %lx, stack %lx-%lx, "
	       "guard page %lx\n",
	       t->tid, t->proc ? t->proc->pid : 0, t->proc ? t->proc->comm : "?", sp, pc, base,
	       base + KSTACK_SIZE, base - PAGE_SIZE);
	panic("kernel stack overflow in tid %d (%s)", t->tid, t->proc ? t->proc->comm : "?");
}

/* A selftest recursion: each level keeps a frame of 256 bytes alive until
 * the stack runs into its guard page. */
static __attribute__((noinline)) long recurse(volatile char *prev, long depth)
{
	volatile char frame[256];

	frame[0] = (char)depth;
	frame[255] = prev ? prev[0] : 0;
	if (depth > (long)KSTACK_SIZE) /* far past any stack: not reached */
		return 0;
	return recurse(frame, depth + 1) + frame[255];
}

/* "idle-stack-overflow": the CPU whose idle loop is to recurse, or -1.
 * Written by the selftest, read by sched_run_idle. */
int selftest_idle_cpu = -1;

void selftest_idle_overflow(void)
{
	recurse(NULL, 0);
	panic("idle-stack-overflow selftest: the recursion returned");
}

/* Make the last online CPU recurse on its idle stack (the boot stack when
 * it is the only one): ask it, then sleep so that, alone, this CPU idles. */
static int idle_overflow_selftest(void)
{
	int target = 0;

	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (READ_ONCE(cpus[i].online))
			target = (int)i;
	WRITE_ONCE(selftest_idle_cpu, target);
	if (target != (int)hal_cpu_id())
		smp_send_resched((unsigned)target);
	uint64_t deadline = hal_time_ns() + 5 * TIMESPEC_NS_PER_S;
	do
		set_current_state(TASK_UNINTERRUPTIBLE);
	while (schedule_timeout(deadline));
	WRITE_ONCE(current->state, TASK_RUNNING);
	WRITE_ONCE(selftest_idle_cpu, -1);
	return -EIO; /* the CPU did not run into its guard */
}

extern char __text_end[]; /* the linker scripts: rodata starts here */

/* Store v's own value back at p through a probe: harmless if it lands. */
static int probe_write(void *p)
{
	struct task *t = current;

	t->protect_probe = true;
	hal_probe_write(p, *(volatile long *)p);
	bool survived = t->protect_probe;
	t->protect_probe = false;
	return survived ? -EIO : -EFAULT; /* -EIO: nothing stopped the write */
}

/* Call code at p (a return instruction) through a probe. */
static int probe_call(const void *p)
{
	struct task *t = current;
	void (*fn)(void) = (void (*)(void))(uintptr_t)p;

	t->protect_probe = true;
	fn();
	bool survived = t->protect_probe;
	t->protect_probe = false;
	return survived ? -EIO : -EFAULT;
}

/* The W^X probes: "wx-text", "wx-rodata", "wx-alias" (the direct map's
 * view of the text) write; "wx-data", "wx-heap" execute. */
static int wx_selftest(const char *what)
{
	if (!strcmp(what, "text"))
		return probe_write((void *)(uintptr_t)protect_selftest);
	if (!strcmp(what, "rodata"))
		return probe_write(__text_end);
	if (!strcmp(what, "alias")) {
		phys_addr_t pa;
		if (!hal_pt_translate(NULL, (uintptr_t)protect_selftest, &pa, NULL))
			return -EOPNOTSUPP;
		return probe_write(phys_to_virt(pa & PAGE_MASK));
	}
	if (!strcmp(what, "data"))
		return probe_call(hal_probe_data_code);
	if (!strcmp(what, "heap")) {
		__free(kfree) uint8_t *code = kmalloc(sizeof(hal_probe_data_code));
		if (!code)
			return -ENOMEM;
		memcpy(code, hal_probe_data_code, sizeof(hal_probe_data_code));
		return probe_call(code);
	}
	return -EINVAL;
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
	if (len > 3 && len < 16 && !memcmp(text, "wx-", 3)) {
		char what[16];
		memcpy(what, text + 3, len - 3);
		what[len - 3] = 0;
		return wx_selftest(what);
	}
	if (len == 9 && !memcmp(text, "hung-task", 9))
		return hung_task_selftest(); /* the detector reports the caller */
	if (len == 14 && !memcmp(text, "stack-overflow", 14)) {
		/* Recursion into the guard page below the stack: reported and
		 * panics (ferrite.sysrq=1 only, like "stack"). */
		if (!READ_ONCE(sysrq_crash_allowed))
			return -EPERM;
		recurse(NULL, 0);
		return -EIO; /* not reached */
	}
	if (len == 19 && !memcmp(text, "idle-stack-overflow", 19)) {
		/* The same in an idle task: its stack (the boot stack on the
		 * boot CPU) has a guard page too. */
		if (!READ_ONCE(sysrq_crash_allowed))
			return -EPERM;
		return idle_overflow_selftest();
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
