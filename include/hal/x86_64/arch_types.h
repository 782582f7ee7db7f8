/*
 * x86_64: the user trap frame and the saved kernel-thread context.
 *
 * Invariant: every trap from user mode (SYSCALL, exception, interrupt) builds
 * its struct trap_frame at kstack_top - sizeof(struct trap_frame). The last
 * five words are the hardware interrupt frame (pushed by the CPU through
 * TSS.rsp0, or by the SYSCALL entry in the same shape), so the layout below
 * is fixed by src/arch/x86_64/entry.S. Its size is a multiple of 16 so the
 * frame and the C stack below it stay 16-byte aligned.
 */
#pragma once
#include <stdint.h>

struct trap_frame {
	uint64_t pad; /* keeps sizeof a multiple of 16 */
	uint64_t r15, r14, r13, r12, rbp, rbx;
	uint64_t r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi;
	uint64_t orig_rax;   /* syscall number (for restart); -1 for traps */
	uint64_t vector;     /* trap vector; X86_VEC_SYSCALL for SYSCALL */
	uint64_t error_code; /* CPU error code, 0 when the vector has none */
	/* hardware frame */
	uint64_t rip, cs, rflags, rsp, ss;
};

#define X86_FXSAVE_SIZE 512

/*
 * What hal_context_switch saves. The FXSAVE image must be 16-byte aligned;
 * kmalloc'd tasks only promise 8, so the area is over-allocated and the
 * aligned start computed (use hal_context_copy_fpu, never memcpy, to copy
 * it between contexts).
 */
struct hal_context {
	uint64_t rsp, rip;
	uint64_t rbx, rbp, r12, r13, r14, r15;
	uint64_t fs_base; /* user TLS (ARCH_SET_FS); authoritative copy */
	uint64_t gs_base; /* user GS base (ARCH_SET_GS) */
	uint8_t fpu_raw[X86_FXSAVE_SIZE + 16]; /* user FPU/SSE state (FXSAVE) */
};

/*
 * fork/clone: give dst (after hal_context_init) the user CPU state a child
 * inherits that is not in the trap frame: the FPU/SSE registers and the
 * FS/GS bases (CLONE_SETTLS then overrides FS with hal_set_tls). src may be
 * the running context: its FPU state is then read from the registers.
 */
void hal_context_copy_fpu(struct hal_context *dst, const struct hal_context *src);
