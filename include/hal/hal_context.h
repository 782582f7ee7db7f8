/*
 * HAL: kernel thread contexts. A task's struct hal_context holds what a
 * context switch saves (callee-saved registers, stack pointer and, on x86_64,
 * the FS base used for user TLS).
 */
#pragma once
#include <ferrite/types.h>
#include <hal/hal_arch_types.h>

/* Save the running context into prev and resume next. */
void hal_context_switch(struct hal_context *prev, struct hal_context *next);
/* Make ctx start fn(arg) on the kernel stack ending at kstack_top when first
 * switched to, with interrupts enabled. fn must not return. */
void hal_context_init(struct hal_context *ctx, uintptr_t kstack_top,
		      void (*fn)(void *), void *arg);
/* Where traps from user mode on this CPU save their frame: the running
 * task's kernel stack top (x86_64: TSS.rsp0 and the per-CPU syscall stack;
 * riscv64: the scratch area). Called by the scheduler on every switch. */
void hal_set_kernel_stack(uintptr_t kstack_top);
/* Enter user mode from tf, which must lie at the top of the current kernel
 * stack. Used for a new task's first return and by execve. */
void hal_return_to_user(struct trap_frame *tf) __noreturn;
/* Set the user TLS pointer of a thread (riscv64: tp in tf; x86_64: FS base in
 * ctx, loaded now when running is true). */
void hal_set_tls(struct hal_context *ctx, struct trap_frame *tf, uintptr_t tls, bool running);
uintptr_t hal_get_tls(const struct hal_context *ctx, const struct trap_frame *tf);
