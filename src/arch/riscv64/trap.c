/*
 * riscv64 trap dispatch (C side of trap.S). User traps: syscalls, page
 * faults, other exceptions turned into signals, interrupts; every one leaves
 * through trap_exit_to_user() and rv_user_return(). Kernel traps: interrupts
 * are served, anything else is a kernel bug and panics.
 * Locking: runs on the trapping CPU; shared state is the callees' business.
 */
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <ferrite/syscall.h>
#include <hal/hal_context.h>
#include <hal/hal_cpu.h>
#include <hal/hal_mmu.h>
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
	case EXC_ECALL_U:
		tf->sepc += 4;
		tf->orig_a0 = tf->regs[10];
		/* a7 = number, a0..a5 = arguments, a0 = result. */
		tf->regs[10] = (unsigned long)syscall_invoke(tf->regs[17], tf->regs[10], tf->regs[11],
							     tf->regs[12], tf->regs[13],
							     tf->regs[14], tf->regs[15]);
		break;
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

void rv_trap_kernel(struct trap_frame *tf);
void rv_trap_kernel(struct trap_frame *tf)
{
	if (tf->scause & SCAUSE_INTR) {
		handle_interrupt(tf->scause);
		return;
	}
	if (uaccess_page_fault(tf))
		return;
	panic("kernel trap: scause %lx sepc %lx stval %lx ra %lx sp %lx", tf->scause, tf->sepc,
	      tf->stval, tf->regs[1], tf->regs[2]);
}

void hal_return_to_user(struct trap_frame *tf)
{
	hal_irq_disable();
	trap_exit_to_user(tf);
	rv_user_return(tf, rv_cpu_this());
}
