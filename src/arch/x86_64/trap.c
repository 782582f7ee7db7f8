/*
 * Trap dispatch (entry.S calls x86_trap for every vector): timer, COM1 and
 * device (MSI) interrupts, spurious vectors, and CPU exceptions — those from user mode
 * become signals (or resolved page faults), those from the kernel panic.
 * Also the C half of SYSCALL (x86_syscall: the table call and the guards of
 * entry.S's short exit) and the check before the full return to user mode.
 * Handlers run on the current kernel stack; interrupts are off on entry and
 * re-enabled only while a user fault is resolved (it may sleep).
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <ferrite/syscall.h>
#include <ferrite/user_return.h>
#include <hal/hal_cpu.h>
#include <hal/hal_mmu.h>
#include <hal/hal_protect.h>
#include <hal/hal_timer.h>
#include <hal/hal_trap.h>
#include <hal/hal_uaccess.h>
#include "x86.h"

#define SIGILL 4
#define SIGTRAP 5
#define SIGBUS 7
#define SIGFPE 8
#define SIGSEGV 11
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define ILL_ILLOPN 2
#define BUS_ADRERR 2
#define FPE_INTDIV 1
#define TRAP_BRKPT 1
#define SI_KERNEL 0x80

#define PF_PRESENT 0x01
#define PF_WRITE 0x02
#define PF_FETCH 0x10

static const char *const exception_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved", "x87 FPU error", "alignment check", "machine check",
	"SIMD FP exception", "virtualization", "control protection",
};

static void dump_frame(const struct trap_frame *tf)
{
	kprintf("rip %016lx cs %lx rflags %lx rsp %016lx ss %lx\n", tf->rip, tf->cs,
		tf->rflags, tf->rsp, tf->ss);
	kprintf("rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", tf->rax, tf->rbx, tf->rcx, tf->rdx);
	kprintf("rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n", tf->rsi, tf->rdi, tf->rbp, tf->r8);
	kprintf("r9  %016lx r10 %016lx r11 %016lx r12 %016lx\n", tf->r9, tf->r10, tf->r11, tf->r12);
	kprintf("r13 %016lx r14 %016lx r15 %016lx cr2 %016lx\n", tf->r13, tf->r14, tf->r15, read_cr2());
}

static void __noreturn kernel_exception(struct trap_frame *tf)
{
	const char *name = tf->vector < 32 ? exception_names[tf->vector] : NULL;

	kprintf("\nkernel exception %lu (%s), error code %lx\n", tf->vector,
		name ? name : "reserved", tf->error_code);
	dump_frame(tf);
	panic("kernel exception %lu at %lx", tf->vector, tf->rip);
}

/*
 * A kernel page fault: one taken by a user-access routine (uaccess.S) at a
 * user address is resolved like a user fault and the instruction retried,
 * or, when it cannot be, the routine resumes at its fix-up. Return false for
 * every other kernel fault (a bug: the caller panics).
 */
static bool uaccess_page_fault(struct trap_frame *tf)
{
	uintptr_t addr = read_cr2(); /* before anything can fault again */
	const struct hal_uaccess_fixup *fx = hal_uaccess_fixup_find(tf->rip);

	if (!fx || addr >= hal_user_max)
		return false;
	/* Resolving may sleep: interrupts as the routine had them. */
	if (tf->rflags & RFLAGS_IF)
		hal_irq_enable();
	int err = vm_handle_fault(addr, (tf->error_code & PF_WRITE) ? HAL_PROT_WRITE : HAL_PROT_READ,
				  false);
	hal_irq_disable();
	if (err)
		tf->rip = fx->fixup;
	return true;
}

static void user_page_fault(struct trap_frame *tf)
{
	uintptr_t addr = read_cr2(); /* before anything can fault again */
	unsigned access = HAL_PROT_READ;

	if (tf->error_code & PF_WRITE)
		access = HAL_PROT_WRITE;
	else if (tf->error_code & PF_FETCH)
		access = HAL_PROT_EXEC;
	hal_irq_enable();
	int err = vm_handle_fault(addr, access, true);
	if (err == -ENXIO) /* past the end of a mapped file */
		trap_user_signal(tf, SIGBUS, BUS_ADRERR, addr);
	else if (err)
		trap_user_signal(tf, SIGSEGV, err == -EACCES ? SEGV_ACCERR : SEGV_MAPERR, addr);
	hal_irq_disable();
}

/*
 * NMIs: nothing in Ferrite sends them, so one is a machine's message (QEMU's
 * monitor "nmi", a watchdog): counted here, where no lock may be taken and
 * GS may still be the user's (an NMI right after SYSCALL), and reported by
 * the next timer tick, as Linux's "NMI received for unknown reason".
 */
static unsigned long nmis_unreported; /* atomic */

static void nmi_count(void)
{
	__atomic_add_fetch(&nmis_unreported, 1, __ATOMIC_RELAXED);
}

void x86_nmi_report(void)
{
	if (!__atomic_load_n(&nmis_unreported, __ATOMIC_RELAXED))
		return;
	unsigned long n = __atomic_exchange_n(&nmis_unreported, 0, __ATOMIC_RELAXED);
	if (n)
		pr_warn("x86: %lu NMI(s) received for an unknown reason, ignored\n", n);
}

static void user_exception(struct trap_frame *tf)
{
	int signo, code = SI_KERNEL;

	switch (tf->vector) {
	case VEC_PF:
		user_page_fault(tf);
		return;
	case 0: /* #DE */
		signo = SIGFPE;
		code = FPE_INTDIV;
		break;
	case 7:  /* #NM */
	case 16: /* #MF */
	case 19: /* #XM */
		signo = SIGFPE;
		break;
	case 6: /* #UD */
		signo = SIGILL;
		code = ILL_ILLOPN;
		break;
	case 1: /* #DB */
	case 3: /* #BP */
		signo = SIGTRAP;
		code = TRAP_BRKPT;
		break;
	case 17: /* #AC */
		signo = SIGBUS;
		break;
	case 2: /* NMI */
		nmi_count();
		return;
	case 18: /* #MC (mce.c) */
		x86_mce_exception(tf);
		return;
	default: /* #GP, #SS, #NP, #OF, #BR, ... */
		signo = SIGSEGV;
		break;
	}
	hal_irq_enable();
	if (tf->vector == 13) /* #GP: UMIP's (sgdt, sidt, ...)? */
		x86_umip_report(tf);
	trap_user_signal(tf, signo, code, tf->rip);
	hal_irq_disable();
}

void x86_trap(struct trap_frame *tf)
{
	unsigned long vec = tf->vector;

	switch (vec) {
	case VEC_TIMER:
		lapic_eoi();
		x86_timer_interrupt();
		return;
	case VEC_COM1:
		serial_irq();
		lapic_eoi();
		return;
	case VEC_IPI:
		lapic_eoi();
		smp_ipi_interrupt();
		return;
	case VEC_SPURIOUS:
		return; /* no EOI for the LAPIC spurious vector */
	}
	if (vec >= VEC_MSI_BASE && vec < VEC_MSI_BASE + VEC_MSI_COUNT) {
		x86_msi_interrupt(vec);
		lapic_eoi();
		return;
	}
	if (vec >= VEC_PIC_BASE && vec < VEC_PIC_BASE + 16)
		return; /* spurious from the masked 8259 */
	if (vec >= 32) {
		lapic_eoi();
		return;
	}
	if ((tf->cs & 3) != 3) {
		if (vec == 2) {
			nmi_count(); /* an NMI (IST2): no locks, no GS here */
			return;
		}
		if (vec == 18) { /* #MC on IST3 (mce.c): reported, or panics */
			x86_mce_exception(tf);
			return;
		}
		if (vec == 8) /* #DF on IST1: a kernel stack run into its guard? */
			kernel_stack_overflow_check(tf->rsp, tf->rip);
		if (vec == VEC_PF && uaccess_page_fault(tf))
			return;
		/* A user address outside the user-copy routines: SMAP/SMEP
		 * stopped it (or a stray pointer): the task ends, not the
		 * kernel. */
		if (vec == VEC_PF && read_cr2() < hal_user_max) {
			kernel_user_fault(tf, read_cr2(), tf->rip, tf->error_code & PF_FETCH);
			return;
		}
		/* A present kernel page that W^X forbids: a write to text or
		 * rodata, a fetch from data, the heap or the direct map (wx.c). */
		if (vec == VEC_PF && (tf->error_code & PF_PRESENT) &&
		    (tf->error_code & (PF_WRITE | PF_FETCH))) {
			kernel_wx_fault(tf, read_cr2(), tf->rip, tf->error_code & PF_FETCH);
			return;
		}
		kernel_exception(tf);
	}
	user_exception(tf);
}

/*
 * Last check before entering user mode (interrupts off). Whatever the
 * portable code wrote into tf, the CPU must land in ring 3 with interrupts
 * on. Return 1 when SYSRET restores tf exactly (it loads rip from rcx and
 * rflags from r11, and faults in ring 0 on a non-canonical rip), else 0 for
 * IRETQ.
 */
int x86_user_return_check(struct trap_frame *tf);
int x86_user_return_check(struct trap_frame *tf)
{
	/* User-changeable flags: CF PF AF ZF SF TF DF OF AC ID; IF forced. */
	const uint64_t user_flags = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 |
				    0x40000 | 0x200000;

	tf->cs = USER_CS;
	tf->ss = USER_DS;
	/* IRETQ to a non-canonical rip faults in ring 0: send the task to an
	 * unmapped user address instead, where it takes its SIGSEGV. */
	if (tf->rip >= 0x0000800000000000UL && tf->rip < 0xffff800000000000UL)
		tf->rip = hal_user_max;
	tf->rflags = (tf->rflags & user_flags) | RFLAGS_IF | 0x2;
	return tf->rcx == tf->rip && tf->r11 == tf->rflags && tf->rip < hal_user_max &&
	       !(tf->rflags & 0x100);
}

/* The frame offsets entry.S uses on the SYSCALL short exit. */
_Static_assert(offsetof(struct trap_frame, r11) == 56, "entry.S TF_R11");
_Static_assert(offsetof(struct trap_frame, r10) == 64, "entry.S TF_R10");
_Static_assert(offsetof(struct trap_frame, r9) == 72, "entry.S TF_R9");
_Static_assert(offsetof(struct trap_frame, r8) == 80, "entry.S TF_R8");
_Static_assert(offsetof(struct trap_frame, rax) == 88, "entry.S TF_RAX");
_Static_assert(offsetof(struct trap_frame, rcx) == 96, "entry.S TF_RCX");
_Static_assert(offsetof(struct trap_frame, rdx) == 104, "entry.S TF_RDX");
_Static_assert(offsetof(struct trap_frame, rsi) == 112, "entry.S TF_RSI");
_Static_assert(offsetof(struct trap_frame, rdi) == 120, "entry.S TF_RDI");
_Static_assert(offsetof(struct trap_frame, cs) == 160, "entry.S TF_CS");
_Static_assert(offsetof(struct trap_frame, rsp) == 176, "entry.S TF_RSP");

/* RFLAGS a SYSCALL frame may hand straight back to SYSRET: the flags user
 * code can set (x86_user_return_check's list) without TF, since SYSRET with
 * TF set traps on the first user instruction, plus IF and the fixed bit 1. */
#define SYSRET_EXACT_FLAGS                                                                     \
	(0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800 | 0x40000 | 0x200000 | RFLAGS_IF | 0x2)

/*
 * May the SYSCALL in tf return by the short exit (x86_syscall's 2)? ret is
 * the handler's result, nr the number entry.S saved.
 */
static bool syscall_exit_is_fast(const struct trap_frame *tf, unsigned long nr, long ret)
{
	/* Guard: no signal, reschedule or exit work (trap_exit_to_user). */
	if (unlikely(user_return_work_pending(hal_cpu_self(), ret)))
		return false;
	/* Guard: the frame is still this syscall's, so only rax differs from
	 * the registers at entry. Handlers that rewrite their own frame mark
	 * it no syscall frame (execve: hal_frame_init_user, rt_sigreturn:
	 * hal_frame_clear_syscall), which sets orig_rax to -1. */
	if (unlikely(tf->orig_rax != nr))
		return false;
	/* Guard: r11 (the user's RFLAGS from SYSCALL) is exact for SYSRET. rcx
	 * (the next user instruction) is below hal_user_max, so canonical. */
	return likely(!(tf->r11 & ~SYSRET_EXACT_FLAGS)) && likely(tf->rcx < hal_user_max);
}

/*
 * SYSCALL, after entry.S built tf: entered with interrupts on, returns with
 * them off. Return 2 when nothing but rax changed and nothing is left to
 * do: entry.S then reloads only the registers C code may clobber and
 * SYSRETs. Otherwise the work is done (trap_exit_to_user) and the frame
 * checked: x86_user_return_check's 1 (SYSRET restores tf exactly) or 0.
 */
int x86_syscall(struct trap_frame *tf);
int x86_syscall(struct trap_frame *tf)
{
	unsigned long nr = tf->orig_rax;
	syscall_fn fn = syscall_handler(nr);
	long ret;

	/* The arguments straight from the frame (hal_syscall_arg's order). */
	if (likely(fn))
		ret = fn(tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9);
	else
		ret = syscall_enosys(nr);
	tf->rax = (uint64_t)ret;
	__asm__ volatile("cli" ::: "memory"); /* hal_irq_disable, inline */
	if (likely(syscall_exit_is_fast(tf, nr, ret)))
		return 2;
	trap_exit_to_user(tf);
	return x86_user_return_check(tf);
}

void hal_return_to_user(struct trap_frame *tf)
{
	hal_irq_disable();
	trap_exit_to_user(tf);
	x86_ret_to_user(tf);
}

/* Trap frame accessors (hal_trap.h). */
uintptr_t hal_frame_pc(const struct trap_frame *tf) { return tf->rip; }
uintptr_t hal_frame_sp(const struct trap_frame *tf) { return tf->rsp; }
void hal_frame_set_pc(struct trap_frame *tf, uintptr_t pc) { tf->rip = pc; }
void hal_frame_set_sp(struct trap_frame *tf, uintptr_t sp) { tf->rsp = sp; }

void hal_frame_init_user(struct trap_frame *tf, uintptr_t entry, uintptr_t sp)
{
	*tf = (struct trap_frame){
		.rip = entry,
		.rsp = sp,
		.cs = USER_CS,
		.ss = USER_DS,
		.rflags = RFLAGS_IF | 0x2,
		.orig_rax = (uint64_t)-1,
	};
}

unsigned long hal_syscall_nr(const struct trap_frame *tf) { return tf->orig_rax; }

unsigned long hal_syscall_arg(const struct trap_frame *tf, int i)
{
	switch (i) {
	case 0: return tf->rdi;
	case 1: return tf->rsi;
	case 2: return tf->rdx;
	case 3: return tf->r10;
	case 4: return tf->r8;
	case 5: return tf->r9;
	}
	return 0;
}

void hal_syscall_set_return(struct trap_frame *tf, long ret) { tf->rax = (uint64_t)ret; }

/* The SYSCALL instruction is two bytes; rax gets the number back. */
void hal_syscall_restart(struct trap_frame *tf)
{
	tf->rip -= 2;
	tf->rcx = tf->rip;
	tf->rax = tf->orig_rax;
}
