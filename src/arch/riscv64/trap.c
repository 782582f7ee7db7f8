/*
 * riscv64 trap dispatch (C side of trap.S). User traps: syscalls
 * (rv_syscall), page faults, other exceptions turned into signals,
 * interrupts; every one leaves through trap_exit_to_user() and
 * rv_user_return(), except a syscall with nothing left to do, which takes
 * trap.S's short exit. Kernel traps: interrupts
 * are served, anything else is a kernel bug and panics.
 * Locking: runs on the trapping CPU; shared state is the callees' business.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <ferrite/syscall.h>
#include <ferrite/task.h>
#include <ferrite/user_return.h>
#include <hal/hal_context.h>
#include <hal/hal_cpu.h>
#include <hal/hal_mmu.h>
#include <hal/hal_protect.h>
#include <hal/hal_trap.h>
#include <hal/hal_uaccess.h>
#include "riscv.h"

#define SIGILL 4
#define SIGTRAP 5
#define SIGBUS 7
#define SIGSEGV 11
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define ILL_ILLOPC 1
#define BUS_ADRALN 1
#define BUS_ADRERR 2
#define TRAP_BRKPT 1

static void handle_interrupt(unsigned long cause)
{
	switch (cause & ~SCAUSE_INTR) {
	case IRQ_S_TIMER:
		timer_interrupt();
		break;
	case IRQ_S_EXT:
		plic_handle();
		break;
	case IRQ_S_SOFT:
		rv_ipi_interrupt();
		break;
	default:
		pr_warn("riscv64: unexpected interrupt %lu\n", cause & ~SCAUSE_INTR);
		csr_clear(sip, 1UL << (cause & ~SCAUSE_INTR));
		break;
	}
}

static void user_page_fault(struct trap_frame *tf, unsigned access)
{
	int err = vm_handle_fault(tf->stval, access, true);

	if (err == -ENXIO) /* past the end of a mapped file */
		trap_user_signal(tf, SIGBUS, BUS_ADRERR, tf->stval);
	else if (err)
		trap_user_signal(tf, SIGSEGV, err == -EACCES ? SEGV_ACCERR : SEGV_MAPERR,
				 tf->stval);
}

static void user_exception(struct trap_frame *tf)
{
	hal_irq_enable();
	switch (tf->scause) {
	case EXC_INST_PAGE_FAULT:
		user_page_fault(tf, HAL_PROT_EXEC);
		break;
	case EXC_LOAD_PAGE_FAULT:
		user_page_fault(tf, HAL_PROT_READ);
		break;
	case EXC_STORE_PAGE_FAULT:
		user_page_fault(tf, HAL_PROT_WRITE);
		break;
	case EXC_ILLEGAL_INST:
		trap_user_signal(tf, SIGILL, ILL_ILLOPC, tf->sepc);
		break;
	case EXC_BREAKPOINT:
		trap_user_signal(tf, SIGTRAP, TRAP_BRKPT, tf->sepc);
		break;
	case EXC_INST_MISALIGNED:
	case EXC_LOAD_MISALIGNED:
	case EXC_STORE_MISALIGNED:
		trap_user_signal(tf, SIGBUS, BUS_ADRALN, tf->stval);
		break;
	default: /* access faults and anything unknown */
		trap_user_signal(tf, SIGBUS, BUS_ADRERR, tf->stval);
		break;
	}
}

_Static_assert(offsetof(struct rv_cpu, fp_owner) == RVCPU_FP_OWNER, "trap.S RVCPU_FP_OWNER");

/*
 * May the ECALL in tf return by the short exit (rv_syscall's 1)? ret is the
 * handler's result.
 */
static bool syscall_exit_is_fast(const struct trap_frame *tf, long ret)
{
	/* Guard: no signal, reschedule or exit work (trap_exit_to_user). */
	if (unlikely(user_return_work_pending(hal_cpu_self(), ret)))
		return false;
	/* Guard: the frame is still this syscall's, so only a0 and sepc differ
	 * from the registers at entry. Handlers that rewrite their own frame
	 * mark it no syscall frame (execve: hal_frame_init_user zeroes scause,
	 * rt_sigreturn: hal_frame_clear_syscall). */
	return likely(tf->scause == EXC_ECALL_U);
}

/*
 * ECALL from user mode (trap.S, interrupts off): a0..a5 are the arguments
 * and nr the number (a7), passed on in the registers they arrived in; tf
 * holds them too. Return 1 when nothing but a0 and sepc changed in tf and
 * nothing is left to do: trap.S then reloads only the registers C code may
 * clobber and srets. Otherwise leave through hal_return_to_user.
 */
int rv_syscall(unsigned long a0, unsigned long a1, unsigned long a2, unsigned long a3,
	       unsigned long a4, unsigned long a5, struct trap_frame *tf, unsigned long nr);
int rv_syscall(unsigned long a0, unsigned long a1, unsigned long a2, unsigned long a3,
	       unsigned long a4, unsigned long a5, struct trap_frame *tf, unsigned long nr)
{
	syscall_fn fn = syscall_handler(nr);
	long ret;

	tf->sepc += 4;
	tf->orig_a0 = a0;
	hal_irq_enable();
	if (likely(fn))
		ret = fn(a0, a1, a2, a3, a4, a5);
	else
		ret = syscall_enosys(nr);
	tf->regs[10] = (unsigned long)ret;
	hal_irq_disable();
	if (likely(syscall_exit_is_fast(tf, ret)))
		return 1;
	hal_return_to_user(tf);
}

/* Every other user trap (trap.S, interrupts off): an interrupt or an
 * exception. Leaves through hal_return_to_user. */
void rv_trap_user(struct trap_frame *tf) __noreturn;
void rv_trap_user(struct trap_frame *tf)
{
	if (tf->scause & SCAUSE_INTR)
		handle_interrupt(tf->scause);
	else
		user_exception(tf);
	hal_return_to_user(tf);
}

/*
 * A kernel load/store page fault taken by a user-access routine
 * (uaccess.S) at a user address is resolved like a user fault and the
 * instruction retried, or, when it cannot be, the routine resumes at its
 * fix-up. Return false for every other kernel fault (a bug: panic).
 */
static bool uaccess_page_fault(struct trap_frame *tf)
{
	const struct hal_uaccess_fixup *fx;
	unsigned access;

	if (tf->scause == EXC_LOAD_PAGE_FAULT)
		access = HAL_PROT_READ;
	else if (tf->scause == EXC_STORE_PAGE_FAULT)
		access = HAL_PROT_WRITE;
	else
		return false;
	fx = hal_uaccess_fixup_find(tf->sepc);
	if (!fx || tf->stval >= hal_user_max)
		return false;
	/* SUM stays set in tf->sstatus for the retry; while resolving (which
	 * may sleep and run other tasks) the kernel runs without it, with
	 * interrupts as the routine had them. */
	csr_clear(sstatus, SSTATUS_SUM);
	if (tf->sstatus & SSTATUS_SPIE)
		hal_irq_enable();
	int err = vm_handle_fault(tf->stval, access, false);
	hal_irq_disable();
	if (err)
		tf->sepc = fx->fixup;
	return true;
}

/* trap.S's stack overflow check reads these. */
_Static_assert(offsetof(struct cpu, id) == 0, "trap.S CPU_ID");
/* current (a macro name) is the pointer right before idle */
_Static_assert(offsetof(struct cpu, idle) == 16, "trap.S CPU_CURRENT");
_Static_assert(offsetof(struct task, kstack) == 0, "trap.S TASK_KSTACK");
_Static_assert(RV_EMERGENCY_STACK_SIZE == 1 << 13, "trap.S RV_EMERGENCY_SHIFT");

void rv_trap_kernel(struct trap_frame *tf);
void rv_trap_kernel(struct trap_frame *tf)
{
	rv_emergency_check(tf); /* a kernel stack overflow: reports, panics */
	if (tf->scause & SCAUSE_INTR) {
		handle_interrupt(tf->scause);
		return;
	}
	if (uaccess_page_fault(tf))
		return;
	if (rv_kernel_spurious_fault(tf->scause, tf->stval))
		return;
	/* A user address outside the user-copy routines (SUM clear, or an
	 * S-mode fetch from a user page): the task ends, not the kernel. */
	if ((tf->scause == EXC_LOAD_PAGE_FAULT || tf->scause == EXC_STORE_PAGE_FAULT ||
	     tf->scause == EXC_INST_PAGE_FAULT) && tf->stval < hal_user_max)
		{
			kernel_user_fault(tf, tf->stval, tf->sepc, tf->scause == EXC_INST_PAGE_FAULT);
			return;
		}
	/* A store to text or rodata, a fetch from data or the direct map. */
	if (rv_wx_violation(tf->scause, tf->stval)) {
		kernel_wx_fault(tf, tf->stval, tf->sepc, tf->scause == EXC_INST_PAGE_FAULT);
		return;
	}
	panic("kernel trap: scause %lx sepc %lx stval %lx ra %lx sp %lx", tf->scause, tf->sepc,
	      tf->stval, tf->regs[1], tf->regs[2]);
}

void hal_return_to_user(struct trap_frame *tf)
{
	hal_irq_disable();
	trap_exit_to_user(tf);
	rv_user_return(tf, rv_cpu_this());
}
