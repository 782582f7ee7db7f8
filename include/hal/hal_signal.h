/*
 * HAL: user signal frames. The arch builds the Linux-ABI rt_sigframe of its
 * architecture on the user stack (registers, FP state, mask, siginfo,
 * uc_stack) and points tf at the handler; rt_sigreturn reads it back.
 * Callers: src/ipc/signal_deliver.c and signal_sys.c, on the current task,
 * with its own trap frame. No locks held; these copy to and from user
 * memory (may fault pages in).
 */
#pragma once
#include <ferrite/types.h>
#include <hal/hal_arch_types.h>

/* Everything a frame needs besides the registers in tf. */
struct hal_sigframe_args {
	int signo;
	const void *siginfo;  /* 128 bytes, struct user_siginfo */
	uint64_t saved_mask;  /* restored by rt_sigreturn (uc_sigmask) */
	uintptr_t handler;
	uintptr_t restorer;   /* x86_64: sa_restorer (return address) */
	uintptr_t trampoline; /* riscv64: return address (rt_sigreturn stub) */
	unsigned long sa_flags;
	uintptr_t altstack_top; /* 0: build below tf's sp (minus the red zone) */
	/* uc_stack as sigaltstack(2) would report it */
	uintptr_t ss_sp;
	size_t ss_size;
	int ss_flags;
};

/* uc_stack read back by rt_sigreturn. */
struct hal_sigstack {
	uintptr_t ss_sp;
	size_t ss_size;
	int ss_flags;
};

/* Build the frame and set tf to enter the handler (signo, &info, &uc).
 * Return 0, or -EFAULT when the stack cannot hold the frame (tf unchanged). */
int hal_signal_setup_frame(struct trap_frame *tf, const struct hal_sigframe_args *a);

/* rt_sigreturn: restore every register (FP too) from the frame at the user
 * sp, sanitising privileged bits; the frame no longer counts as a syscall.
 * Return 0 with *mask_out and *ss_out filled, or -EFAULT (tf may be partly
 * restored: the caller kills the task). */
int hal_signal_restore_frame(struct trap_frame *tf, uint64_t *mask_out,
			     struct hal_sigstack *ss_out);

/* True when tf was saved by a syscall whose return value is in it and has
 * not yet been acted on; hal_frame_clear_syscall forgets that. */
bool hal_frame_in_syscall(const struct trap_frame *tf);
void hal_frame_clear_syscall(struct trap_frame *tf);
/* The return value register of a syscall frame. */
long hal_syscall_get_return(const struct trap_frame *tf);

/* riscv64 has no vDSO: exec maps this code (n bytes) at a fixed user page
 * and frames return to it. Return the code size, 0 when none is needed. */
size_t hal_signal_trampoline(const void **code);

/* The most stack one signal frame takes (AT_MINSIGSTKSZ: what a
 * sigaltstack must hold at least). */
size_t hal_signal_min_stack(void);
