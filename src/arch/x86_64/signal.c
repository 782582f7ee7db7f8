/*
 * x86_64 signal frames, laid out as Linux's (arch/x86, 64-bit):
 * struct rt_sigframe { pretcode; ucontext; siginfo } below a 64-byte
 * aligned FXSAVE image that uc_mcontext.fpstate points to. The handler is
 * entered with rdi = signo, rsi = &info, rdx = &uc and rsp = &pretcode,
 * where rsp + 8 is 16-byte aligned (as after a call). pretcode is
 * sa_restorer (glibc always sets SA_RESTORER); it calls rt_sigreturn.
 * The FPU state is eager (context.c): while the task runs in the kernel its
 * user FP/SSE registers are live, so FXSAVE/FXRSTOR act on them directly.
 *
 * Locking: none; works on the current task's frame and user memory.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
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

struct fxsave_buf {
	uint8_t b[X86_FXSAVE_SIZE];
} __attribute__((aligned(16)));

#define FX_MXCSR 24
#define FX_MXCSR_MASK 28

size_t hal_signal_trampoline(const void **code)
{
	*code = NULL;
	return 0;
}

int hal_signal_setup_frame(struct trap_frame *tf, const struct hal_sigframe_args *a)
{
	uintptr_t sp = a->altstack_top ? a->altstack_top : tf->rsp - RED_ZONE;
	struct fxsave_buf fx;
	struct x86_sigframe f;
	uintptr_t ufp, uf;

	if (!a->restorer)
		return -EFAULT; /* no way back: Linux also kills the task */
	ufp = ALIGN_DOWN(sp - sizeof(fx), 64);
	uf = ALIGN_DOWN(ufp - sizeof(f), 16) - 8;
	memset(&fx, 0, sizeof(fx));
	__asm__ volatile("fxsave64 %0" : "=m"(fx));
	memset(&f, 0, sizeof(f));
	f.pretcode = a->restorer;
	f.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	f.uc.uc_stack.ss_sp = a->ss_sp;
	f.uc.uc_stack.ss_flags = a->ss_flags;
	f.uc.uc_stack.ss_size = a->ss_size;
	struct x86_sigcontext *sc = &f.uc.uc_mcontext;
	sc->r8 = tf->r8, sc->r9 = tf->r9, sc->r10 = tf->r10, sc->r11 = tf->r11;
	sc->r12 = tf->r12, sc->r13 = tf->r13, sc->r14 = tf->r14, sc->r15 = tf->r15;
	sc->rdi = tf->rdi, sc->rsi = tf->rsi, sc->rbp = tf->rbp, sc->rbx = tf->rbx;
	sc->rdx = tf->rdx, sc->rax = tf->rax, sc->rcx = tf->rcx, sc->rsp = tf->rsp;
	sc->rip = tf->rip;
	sc->eflags = tf->rflags;
	sc->cs = (uint16_t)tf->cs;
	sc->ss = (uint16_t)tf->ss;
	sc->err = tf->vector == X86_VEC_SYSCALL ? 0 : tf->error_code;
	sc->trapno = tf->vector == X86_VEC_SYSCALL ? 0 : tf->vector;
	sc->oldmask = a->saved_mask;
	sc->fpstate = ufp;
	f.uc.uc_sigmask = a->saved_mask;
	memcpy(f.info, a->siginfo, sizeof(f.info));
	if (uf < PAGE_SIZE || copy_to_user((void __user *)ufp, &fx, sizeof(fx)) ||
	    copy_to_user((void __user *)uf, &f, sizeof(f)))
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

int hal_signal_restore_frame(struct trap_frame *tf, uint64_t *mask_out,
			     struct hal_sigstack *ss_out)
{
	/* The handler's ret popped pretcode: the frame starts 8 below rsp. */
	uintptr_t uf = tf->rsp - 8;
	struct x86_ucontext uc;
	struct fxsave_buf fx, cur;
	uint32_t mxcsr_mask;

	if (copy_from_user(&uc, (const void __user *)(uf + offsetof(struct x86_sigframe, uc)),
			   sizeof(uc)))
		return -EFAULT;
	const struct x86_sigcontext *sc = &uc.uc_mcontext;
	if (sc->fpstate) {
		if (copy_from_user(&fx, (const void __user *)sc->fpstate, sizeof(fx)))
			return -EFAULT;
		/* Reserved MXCSR bits would fault in FXRSTOR: keep them clear. */
		__asm__ volatile("fxsave64 %0" : "=m"(cur));
		memcpy(&mxcsr_mask, cur.b + FX_MXCSR_MASK, 4);
		if (!mxcsr_mask)
			mxcsr_mask = 0xffbf;
		uint32_t mxcsr;
		memcpy(&mxcsr, fx.b + FX_MXCSR, 4);
		mxcsr &= mxcsr_mask;
		memcpy(fx.b + FX_MXCSR, &mxcsr, 4);
		memcpy(fx.b + FX_MXCSR_MASK, &mxcsr_mask, 4);
		__asm__ volatile("fxrstor64 %0" ::"m"(fx));
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
