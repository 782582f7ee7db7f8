/*
 * x86_64 signal frames, laid out as Linux's (arch/x86, 64-bit):
 * struct rt_sigframe { pretcode; ucontext; siginfo } below a 64-byte
 * aligned FXSAVE image that uc_mcontext.fpstate points to. The handler is
 * entered with rdi = signo, rsi = &info, rdx = &uc and rsp = &pretcode,
 * where rsp + 8 is 16-byte aligned (as after a call). pretcode is
 * sa_restorer (glibc always sets SA_RESTORER); it calls rt_sigreturn.
 * The FPU state is eager (context.c): while the task runs in the kernel its
 * user FP/SSE registers are live, so FXSAVE/FXRSTOR act on them directly.
 * A frame is three copies to the user stack (FXSAVE image, pretcode with the
 * ucontext, siginfo), each built once and never cleared first: every byte
 * of them is set.
 *
 * Locking: none; works on the current task's frame and user memory.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <hal/hal_signal.h>
#include <hal/hal_trap.h>
#include "x86.h"

#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define RED_ZONE 128

struct x86_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip;
	uint64_t eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};

struct x86_stack_t {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t __pad;
	uint64_t ss_size;
};

struct x86_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct x86_stack_t uc_stack;
	struct x86_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

struct x86_sigframe {
	uint64_t pretcode;
	struct x86_ucontext uc;
	uint8_t info[128];
};

_Static_assert(sizeof(struct x86_sigcontext) == 256, "x86_64 sigcontext ABI");
_Static_assert(offsetof(struct x86_ucontext, uc_sigmask) == 296, "x86_64 ucontext ABI");
_Static_assert(offsetof(struct x86_sigframe, info) == 312, "x86_64 rt_sigframe ABI");

/* An FXSAVE image; MXCSR and its mask are the 32-bit words at bytes 24, 28. */
union fxsave_buf {
	uint8_t b[X86_FXSAVE_SIZE];
	uint32_t w[X86_FXSAVE_SIZE / 4];
} __attribute__((aligned(16)));

#define FX_MXCSR_WORD (24 / 4)
#define FX_MXCSR_MASK_WORD (28 / 4)

size_t hal_signal_trampoline(const void **code)
{
	*code = NULL;
	return 0;
}

/*
 * The current task's FXSAVE area in its context (the same 16-byte aligned
 * spot context.c's fpu_area() uses). While the task runs its live FP state
 * is in the registers, so the area is scratch until the next switch, which
 * overwrites it with the same live state: FXSAVE the registers there and
 * copy the image out. Unlike a kernel stack buffer the bytes FXSAVE does not
 * write (reserved and "available" ones) hold only earlier images of this
 * task's own state, so nothing of the kernel leaks to the frame.
 */
static void *current_fx_area(void)
{
	return (void *)ALIGN_UP((uintptr_t)current->ctx.fpu_raw, 16);
}

/* The frame's registers and context, every byte set (it lives on the
 * kernel stack and is copied out whole). */
static void fill_ucontext(struct x86_ucontext *uc, const struct trap_frame *tf,
			  const struct hal_sigframe_args *a, uintptr_t ufp)
{
	struct x86_sigcontext *sc = &uc->uc_mcontext;
	bool syscall = tf->vector == X86_VEC_SYSCALL;

	uc->uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	uc->uc_link = 0;
	uc->uc_stack.ss_sp = a->ss_sp;
	uc->uc_stack.ss_flags = a->ss_flags;
	uc->uc_stack.__pad = 0;
	uc->uc_stack.ss_size = a->ss_size;
	sc->r8 = tf->r8, sc->r9 = tf->r9, sc->r10 = tf->r10, sc->r11 = tf->r11;
	sc->r12 = tf->r12, sc->r13 = tf->r13, sc->r14 = tf->r14, sc->r15 = tf->r15;
	sc->rdi = tf->rdi, sc->rsi = tf->rsi, sc->rbp = tf->rbp, sc->rbx = tf->rbx;
	sc->rdx = tf->rdx, sc->rax = tf->rax, sc->rcx = tf->rcx, sc->rsp = tf->rsp;
	sc->rip = tf->rip;
	sc->eflags = tf->rflags;
	sc->cs = (uint16_t)tf->cs;
	sc->gs = 0;
	sc->fs = 0;
	sc->ss = (uint16_t)tf->ss;
	sc->err = syscall ? 0 : tf->error_code;
	sc->trapno = syscall ? 0 : tf->vector;
	sc->oldmask = a->saved_mask;
	sc->cr2 = 0;
	sc->fpstate = ufp;
	for (int i = 0; i < 8; i++)
		sc->reserved1[i] = 0;
	uc->uc_sigmask = a->saved_mask;
}

size_t hal_signal_min_stack(void)
{
	/* The FXSAVE image and its 64-byte alignment, the frame, its 16-byte
	 * alignment and the return address slot (as setup_frame lays them). */
	return X86_FXSAVE_SIZE + 64 + sizeof(struct x86_sigframe) + 16 + 8;
}

int hal_signal_setup_frame(struct trap_frame *tf, const struct hal_sigframe_args *a)
{
	uintptr_t sp = a->altstack_top ? a->altstack_top : tf->rsp - RED_ZONE;
	void *fx = current_fx_area();
	struct {
		uint64_t pretcode;
		struct x86_ucontext uc;
	} head;
	uintptr_t ufp, uf;

	_Static_assert(sizeof(head) == offsetof(struct x86_sigframe, info), "frame head");
	if (!a->restorer)
		return -EFAULT; /* no way back: Linux also kills the task */
	ufp = ALIGN_DOWN(sp - X86_FXSAVE_SIZE, 64);
	uf = ALIGN_DOWN(ufp - sizeof(struct x86_sigframe), 16) - 8;
	if (uf < PAGE_SIZE)
		return -EFAULT;
	__asm__ volatile("fxsave64 (%0)" ::"r"(fx) : "memory");
	head.pretcode = a->restorer;
	fill_ucontext(&head.uc, tf, a, ufp);
	/* Three pieces, each copied once: FP image, head, siginfo. */
	if (copy_to_user((void __user *)ufp, fx, X86_FXSAVE_SIZE) ||
	    copy_to_user((void __user *)uf, &head, sizeof(head)) ||
	    copy_to_user((void __user *)(uf + offsetof(struct x86_sigframe, info)), a->siginfo,
			 sizeof(((struct x86_sigframe *)0)->info)))
		return -EFAULT;

	tf->rsp = uf;
	tf->rip = a->handler;
	tf->rdi = (uint64_t)a->signo;
	tf->rsi = uf + offsetof(struct x86_sigframe, info);
	tf->rdx = uf + offsetof(struct x86_sigframe, uc);
	tf->rax = 0;
	tf->rflags &= ~(0x100UL | 0x400UL); /* TF, DF clear, as the ABI wants */
	tf->cs = USER_CS;
	tf->ss = USER_DS;
	return 0;
}

/* The MXCSR bits this CPU supports (a constant, read once; racing first
 * readers store the same value). */
static uint32_t mxcsr_mask(void)
{
	static uint32_t cached;
	uint32_t m = READ_ONCE(cached);

	if (!m) {
		union fxsave_buf *fx = current_fx_area();
		__asm__ volatile("fxsave64 (%0)" ::"r"(fx) : "memory");
		m = fx->w[FX_MXCSR_MASK_WORD];
		if (!m)
			m = 0xffbf; /* FXSAVE reports 0: the architectural default */
		WRITE_ONCE(cached, m);
	}
	return m;
}

/* Load the user's FP image fx (a kernel copy), keeping MXCSR's reserved bits
 * clear: FXRSTOR would fault on them. */
static void restore_fpu(union fxsave_buf *fx)
{
	uint32_t mask = mxcsr_mask();

	fx->w[FX_MXCSR_WORD] &= mask;
	fx->w[FX_MXCSR_MASK_WORD] = mask;
	__asm__ volatile("fxrstor64 %0" ::"m"(*fx));
}

int hal_signal_restore_frame(struct trap_frame *tf, uint64_t *mask_out,
			     struct hal_sigstack *ss_out)
{
	/* The handler's ret popped pretcode: the frame starts 8 below rsp. */
	uintptr_t uf = tf->rsp - 8;
	struct x86_ucontext uc;
	union fxsave_buf fx;

	if (copy_from_user(&uc, (const void __user *)(uf + offsetof(struct x86_sigframe, uc)),
			   sizeof(uc)))
		return -EFAULT;
	const struct x86_sigcontext *sc = &uc.uc_mcontext;
	/* A stack buffer, not the context's area: a fault in the copy may
	 * switch tasks, and the switch saves the live state there. */
	if (sc->fpstate) {
		if (copy_from_user(&fx, (const void __user *)sc->fpstate, sizeof(fx)))
			return -EFAULT;
		restore_fpu(&fx);
	}
	tf->r8 = sc->r8, tf->r9 = sc->r9, tf->r10 = sc->r10, tf->r11 = sc->r11;
	tf->r12 = sc->r12, tf->r13 = sc->r13, tf->r14 = sc->r14, tf->r15 = sc->r15;
	tf->rdi = sc->rdi, tf->rsi = sc->rsi, tf->rbp = sc->rbp, tf->rbx = sc->rbx;
	tf->rdx = sc->rdx, tf->rax = sc->rax, tf->rcx = sc->rcx, tf->rsp = sc->rsp;
	tf->rip = sc->rip;
	/* x86_user_return_check masks rflags to user bits and forces the user
	 * CS/SS whatever the frame says: a forged selector cannot stick. */
	tf->rflags = sc->eflags;
	tf->cs = USER_CS;
	tf->ss = USER_DS;
	*mask_out = uc.uc_sigmask;
	ss_out->ss_sp = uc.uc_stack.ss_sp;
	ss_out->ss_size = uc.uc_stack.ss_size;
	ss_out->ss_flags = uc.uc_stack.ss_flags;
	hal_frame_clear_syscall(tf);
	return 0;
}

bool hal_frame_in_syscall(const struct trap_frame *tf)
{
	return tf->vector == X86_VEC_SYSCALL && tf->orig_rax != (uint64_t)-1;
}

void hal_frame_clear_syscall(struct trap_frame *tf)
{
	tf->orig_rax = (uint64_t)-1;
}

long hal_syscall_get_return(const struct trap_frame *tf)
{
	return (long)tf->rax;
}
