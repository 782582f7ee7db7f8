/*
 * riscv64 signal frames, laid out as Linux's (arch/riscv, asm-generic
 * ucontext): struct rt_sigframe { siginfo; ucontext } with uc_mcontext =
 * { user_regs_struct (pc, x1..x31); FP state in the D-extension layout
 * (f0..f31, fcsr) inside the 528-byte union that also holds the Q layout and
 * the extension area (one END header: no more extension contexts) }. Only
 * those parts are written and read, directly between the trap frame and
 * the user stack (no kernel copy of the frame).
 *
 * Linux returns from handlers through its vDSO's __vdso_rt_sigreturn;
 * Ferrite has no vDSO, so exec maps a one-page trampoline (`li a7, 139;
 * ecall`, hal_signal_trampoline) and ra points there. User stacks are not
 * executable, which rules out a trampoline on the stack itself.
 *
 * Locking: none; works on the current task's frame and user memory.
 */
#include <ferrite/errno.h>
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

/* User address of a frame field: uf is the frame's user address. */
#define FRAME_FIELD(uf, member) ((void __user *)((uf) + offsetof(struct rv_sigframe, member)))

/* Bytes 516..527 of the FP union: the extension area's reserved word and
 * its first header, an END header (magic 0, size 0): no more contexts. */
#define FP_EXT_END_OFFSET 516
#define FP_EXT_END_SIZE 12

/* The part of the ucontext before uc_mcontext that a frame sets. */
struct rv_uc_head {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct rv_stack_t uc_stack;
	uint64_t uc_sigmask;
};

_Static_assert(sizeof(struct rv_uc_head) == offsetof(struct rv_ucontext, reserved_),
	       "ucontext head");

/*
 * gregs[] is { pc, x1..x31 } and tf->regs[] is { unused slot, x1..x31 }: with
 * the pc parked in the unused slot the two match, and 256 bytes move in one
 * copy. park_pc puts sepc in the slot and returns what the slot held;
 * unpark_pc takes sepc back from the slot and puts that content back.
 */
_Static_assert(sizeof(((struct trap_frame *)0)->regs) ==
		       sizeof(((struct rv_sigcontext *)0)->gregs), "gregs match tf->regs");

static unsigned long park_pc(struct trap_frame *tf)
{
	unsigned long slot = tf->regs[0];

	tf->regs[0] = tf->sepc;
	return slot;
}

static void unpark_pc(struct trap_frame *tf, unsigned long slot)
{
	tf->sepc = tf->regs[0];
	tf->regs[0] = slot;
}

/*
 * The frame is written straight from the trap frame to the user stack, the
 * meaningful parts only (as Linux does): siginfo, the ucontext head, pc and
 * x1..x31, f0..f31, fcsr and the end of the extension area. The padding in
 * between keeps whatever the user stack held.
 */
static int write_frame(uintptr_t uf, struct trap_frame *tf, const struct hal_sigframe_args *a)
{
	struct rv_uc_head head = {
		.uc_stack = { .ss_sp = a->ss_sp, .ss_flags = a->ss_flags, .ss_size = a->ss_size },
		.uc_sigmask = a->saved_mask,
	};
	static const uint8_t ext_end[FP_EXT_END_SIZE];
	uint32_t fcsr = (uint32_t)tf->fcsr;
	uintptr_t fp = uf + offsetof(struct rv_sigframe, uc.uc_mcontext.fp);
	unsigned long slot = park_pc(tf);
	int err;

	err = copy_to_user(FRAME_FIELD(uf, uc.uc_mcontext.gregs), tf->regs, sizeof(tf->regs));
	unpark_pc(tf, slot);
	return err ||
	       copy_to_user(FRAME_FIELD(uf, info), a->siginfo, sizeof(((struct rv_sigframe *)0)->info)) ||
	       copy_to_user(FRAME_FIELD(uf, uc), &head, sizeof(head)) ||
	       copy_to_user(FRAME_FIELD(uf, uc.uc_mcontext.fp.d.f), tf->fregs, sizeof(tf->fregs)) ||
	       copy_to_user(FRAME_FIELD(uf, uc.uc_mcontext.fp.d.fcsr), &fcsr, sizeof(fcsr)) ||
	       copy_to_user((void __user *)(fp + FP_EXT_END_OFFSET), ext_end, sizeof(ext_end));
}

size_t hal_signal_min_stack(void)
{
	return sizeof(struct rv_sigframe) + 16; /* the frame and its alignment */
}

int hal_signal_setup_frame(struct trap_frame *tf, const struct hal_sigframe_args *a)
{
	uintptr_t sp = a->altstack_top ? a->altstack_top : tf->regs[2];
	uintptr_t uf = ALIGN_DOWN(sp - sizeof(struct rv_sigframe), 16);

	if (sp < sizeof(struct rv_sigframe) + PAGE_SIZE || write_frame(uf, tf, a))
		return -EFAULT;

	tf->regs[2] = uf;
	tf->regs[1] = a->trampoline;
	tf->regs[10] = (unsigned long)a->signo;
	tf->regs[11] = uf + offsetof(struct rv_sigframe, info);
	tf->regs[12] = uf + offsetof(struct rv_sigframe, uc);
	tf->sepc = a->handler;
	return 0;
}

/*
 * Read back what write_frame wrote (the padding is not looked at), straight
 * into the trap frame. A fault leaves tf partly restored: the caller kills
 * the task then.
 */
int hal_signal_restore_frame(struct trap_frame *tf, uint64_t *mask_out,
			     struct hal_sigstack *ss_out)
{
	uintptr_t uf = tf->regs[2];
	unsigned long slot = park_pc(tf);
	struct rv_uc_head head;
	uint32_t fcsr;
	int err;

	err = copy_from_user(tf->regs, FRAME_FIELD(uf, uc.uc_mcontext.gregs), sizeof(tf->regs));
	unpark_pc(tf, slot);
	if (err ||
	    copy_from_user(&head, FRAME_FIELD(uf, uc), sizeof(head)) ||
	    copy_from_user(tf->fregs, FRAME_FIELD(uf, uc.uc_mcontext.fp.d.f), sizeof(tf->fregs)) ||
	    copy_from_user(&fcsr, FRAME_FIELD(uf, uc.uc_mcontext.fp.d.fcsr), sizeof(fcsr)))
		return -EFAULT;
	tf->fcsr = fcsr & 0xff; /* frm and fflags only */
	/* Privileged bits stay the kernel's; only FS changes (registers valid). */
	tf->sstatus = (tf->sstatus & ~SSTATUS_FS) | SSTATUS_FS_DIRTY;
	*mask_out = head.uc_sigmask;
	ss_out->ss_sp = head.uc_stack.ss_sp;
	ss_out->ss_size = head.uc_stack.ss_size;
	ss_out->ss_flags = head.uc_stack.ss_flags;
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
