/*
 * riscv64 signal frames, laid out as Linux's (arch/riscv, asm-generic
 * ucontext): struct rt_sigframe { siginfo; ucontext } with uc_mcontext =
 * { user_regs_struct (pc, x1..x31); FP state in the D-extension layout
 * (f0..f31, fcsr) inside the 528-byte union that also holds the Q layout and
 * the extension header (left zero: no more extension contexts) }.
 *
 * Linux returns from handlers through its vDSO's __vdso_rt_sigreturn;
 * Ferrite has no vDSO, so exec maps a one-page trampoline (`li a7, 139;
 * ecall`, hal_signal_trampoline) and ra points there. User stacks are not
 * executable, which rules out a trampoline on the stack itself.
 *
 * Locking: none; works on the current task's frame and user memory.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include <hal/hal_signal.h>
#include <hal/hal_trap.h>
#include "riscv.h"

#define EXC_ECALL_FROM_U 8
#define NOT_A_SYSCALL (~0UL)

struct rv_stack_t {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t __pad;
	uint64_t ss_size;
};

struct rv_sigcontext {
	uint64_t gregs[32]; /* pc, x1..x31 */
	union {
		struct {
			uint64_t f[32];
			uint32_t fcsr;
		} d;
		struct {
			uint64_t f[64] __attribute__((aligned(16)));
			uint32_t fcsr;
			uint32_t reserved[3];
		} q;
	} fp;
};

struct rv_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct rv_stack_t uc_stack;
	uint64_t uc_sigmask;
	uint8_t reserved_[1024 / 8 - 8];
	struct rv_sigcontext uc_mcontext;
};

struct rv_sigframe {
	uint8_t info[128];
	struct rv_ucontext uc;
};

_Static_assert(offsetof(struct rv_ucontext, uc_mcontext) == 176, "riscv ucontext ABI");
_Static_assert(sizeof(struct rv_sigcontext) == 256 + 528, "riscv sigcontext ABI");
_Static_assert(offsetof(struct rv_sigframe, uc) == 128, "riscv rt_sigframe ABI");

/* li a7, 139 (__NR_rt_sigreturn); ecall */
static const uint32_t rv_trampoline[2] = { 0x08b00893, 0x00000073 };

size_t hal_signal_trampoline(const void **code)
{
	*code = rv_trampoline;
	return sizeof(rv_trampoline);
}

int hal_signal_setup_frame(struct trap_frame *tf, const struct hal_sigframe_args *a)
{
	uintptr_t sp = a->altstack_top ? a->altstack_top : tf->regs[2];
	struct rv_sigframe *f;
	uintptr_t uf;
	int err;

	f = kzalloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	uf = ALIGN_DOWN(sp - sizeof(*f), 16);
	memcpy(f->info, a->siginfo, sizeof(f->info));
	f->uc.uc_stack.ss_sp = a->ss_sp;
	f->uc.uc_stack.ss_flags = a->ss_flags;
	f->uc.uc_stack.ss_size = a->ss_size;
	f->uc.uc_sigmask = a->saved_mask;
	f->uc.uc_mcontext.gregs[0] = tf->sepc;
	for (int i = 1; i < 32; i++)
		f->uc.uc_mcontext.gregs[i] = tf->regs[i];
	memcpy(f->uc.uc_mcontext.fp.d.f, tf->fregs, sizeof(tf->fregs));
	f->uc.uc_mcontext.fp.d.fcsr = (uint32_t)tf->fcsr;
	err = uf < sizeof(*f) ? -EFAULT : copy_to_user((void __user *)uf, f, sizeof(*f));
	kfree(f);
	if (err)
		return -EFAULT;

	tf->regs[2] = uf;
	tf->regs[1] = a->trampoline;
	tf->regs[10] = (unsigned long)a->signo;
	tf->regs[11] = uf + offsetof(struct rv_sigframe, info);
	tf->regs[12] = uf + offsetof(struct rv_sigframe, uc);
	tf->sepc = a->handler;
	return 0;
}

int hal_signal_restore_frame(struct trap_frame *tf, uint64_t *mask_out,
			     struct hal_sigstack *ss_out)
{
	struct rv_ucontext *uc = kmalloc(sizeof(*uc));
	uintptr_t uf = tf->regs[2];

	if (!uc)
		return -ENOMEM;
	if (copy_from_user(uc, (const void __user *)(uf + offsetof(struct rv_sigframe, uc)),
			   sizeof(*uc))) {
		kfree(uc);
		return -EFAULT;
	}
	tf->sepc = uc->uc_mcontext.gregs[0];
	for (int i = 1; i < 32; i++)
		tf->regs[i] = uc->uc_mcontext.gregs[i];
	memcpy(tf->fregs, uc->uc_mcontext.fp.d.f, sizeof(tf->fregs));
	tf->fcsr = uc->uc_mcontext.fp.d.fcsr & 0xff; /* frm and fflags only */
	/* Privileged bits stay the kernel's; only FS changes (registers valid). */
	tf->sstatus = (tf->sstatus & ~SSTATUS_FS) | SSTATUS_FS_DIRTY;
	*mask_out = uc->uc_sigmask;
	ss_out->ss_sp = uc->uc_stack.ss_sp;
	ss_out->ss_size = uc->uc_stack.ss_size;
	ss_out->ss_flags = uc->uc_stack.ss_flags;
	kfree(uc);
	hal_frame_clear_syscall(tf);
	return 0;
}

bool hal_frame_in_syscall(const struct trap_frame *tf)
{
	return tf->scause == EXC_ECALL_FROM_U;
}

void hal_frame_clear_syscall(struct trap_frame *tf)
{
	tf->scause = NOT_A_SYSCALL;
}

long hal_syscall_get_return(const struct trap_frame *tf)
{
	return (long)tf->regs[10];
}
