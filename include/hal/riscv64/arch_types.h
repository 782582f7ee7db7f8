/*
 * riscv64 definitions of the HAL's arch-specific types. The assembly in
 * src/arch/riscv64/ uses the TF_* and CTX_* offsets below; the
 * static_asserts in src/arch/riscv64/context.c keep both in step.
 */
#pragma once
#ifndef __ASSEMBLER__
#include <ferrite/types.h>

/*
 * Everything a trap from user mode saves. Lives at the top of the task's
 * kernel stack (kernel-mode traps build one on the current stack).
 * Invariant: sizeof is a multiple of 16 so the stack stays aligned.
 */
struct trap_frame {
	unsigned long regs[32]; /* x0..x31; regs[0] is unused (x0 is zero) */
	unsigned long sepc;     /* user pc */
	unsigned long sstatus;  /* SPP, SPIE, FS of the interrupted context */
	unsigned long stval;
	unsigned long scause;
	unsigned long orig_a0;  /* a0 at syscall entry, for restarts */
	unsigned long fcsr;
	uint64_t fregs[32];     /* f0..f31, valid while sstatus.FS != Off */
};
#endif

#define TF_REG(n) ((n) * 8)
#define TF_SEPC 256
#define TF_SSTATUS 264
#define TF_STVAL 272
#define TF_SCAUSE 280
#define TF_ORIG_A0 288
#define TF_FCSR 296
#define TF_FREGS 304
#define TF_SIZE 560

#ifndef __ASSEMBLER__
/* What hal_context_switch saves: the callee-saved registers. */
struct hal_context {
	unsigned long ra;
	unsigned long sp;
	unsigned long s[12]; /* s0..s11 */
	void *fp_cpu; /* struct rv_cpu it last ran on (FP ownership, context.c) */
};
#endif

#define CTX_RA 0
#define CTX_SP 8
#define CTX_S(n) (16 + (n) * 8)
