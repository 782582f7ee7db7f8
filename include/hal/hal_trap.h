/*
 * HAL: the user trap frame. Every trap from user mode (syscall, exception,
 * interrupt) saves the user registers in a struct trap_frame at the very top
 * of the task's kernel stack: tf == (struct trap_frame *)(kstack_top) - 1.
 * Leaving the kernel restores every register from it, so the portable code
 * may edit it (execve, signal delivery, sigreturn, fork's child).
 *
 * Invariant: a syscall handler that rewrites its own frame beyond the
 * return value leaves it marked as no syscall frame (hal_frame_init_user
 * does for execve, hal_frame_clear_syscall for rt_sigreturn). The arch's
 * short syscall exit relies on it: for a frame still marked, it restores
 * only the return value and the registers C code may clobber, straight
 * from the entry's values, without the user-frame checks of the full exit.
 */
#pragma once
#include <ferrite/types.h>
#include <hal/hal_arch_types.h>

uintptr_t hal_frame_pc(const struct trap_frame *tf);
uintptr_t hal_frame_sp(const struct trap_frame *tf);
void hal_frame_set_pc(struct trap_frame *tf, uintptr_t pc);
void hal_frame_set_sp(struct trap_frame *tf, uintptr_t sp);
/* Zero every register and prepare to enter user mode at entry with sp. */
void hal_frame_init_user(struct trap_frame *tf, uintptr_t entry, uintptr_t sp);

/* Syscall ABI: number, the six arguments, and the return register. */
unsigned long hal_syscall_nr(const struct trap_frame *tf);
unsigned long hal_syscall_arg(const struct trap_frame *tf, int i);
void hal_syscall_set_return(struct trap_frame *tf, long ret);
/* Rewind the pc so the same syscall runs again on return (restart). */
void hal_syscall_restart(struct trap_frame *tf);

/*
 * Portable entry points the arch trap code calls (implemented in src/):
 */
/* A syscall trap; the result goes into tf. */
void syscall_dispatch(struct trap_frame *tf);
/* A page fault; access is HAL_PROT_READ/WRITE/EXEC. Return 0 when resolved,
 * else as mm_fault: -EFAULT (SEGV_MAPERR), -EACCES (SEGV_ACCERR), -ENXIO. */
int vm_handle_fault(uintptr_t addr, unsigned access, bool user);
/* A user exception that could not be resolved: raise signo in the current
 * thread (code is the si_code, addr the faulting address). */
void trap_user_signal(struct trap_frame *tf, int signo, int code, uintptr_t addr);
/* Last thing before every return to user mode, interrupts disabled on entry
 * and exit: reschedule, deliver signals, exit if killed. */
void trap_exit_to_user(struct trap_frame *tf);
