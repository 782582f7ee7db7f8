/*
 * riscv64 thread contexts and the trap-frame accessors the portable code
 * uses (syscall arguments, pc/sp, TLS in tp).
 * Locking: a frame or context belongs to one task; callers serialise.
 */
#include <ferrite/string.h>
#include <hal/hal_context.h>
#include <hal/hal_trap.h>
#include "riscv.h"

_Static_assert(offsetof(struct trap_frame, sepc) == TF_SEPC, "TF_SEPC");
_Static_assert(offsetof(struct trap_frame, sstatus) == TF_SSTATUS, "TF_SSTATUS");
_Static_assert(offsetof(struct trap_frame, stval) == TF_STVAL, "TF_STVAL");
_Static_assert(offsetof(struct trap_frame, scause) == TF_SCAUSE, "TF_SCAUSE");
_Static_assert(offsetof(struct trap_frame, orig_a0) == TF_ORIG_A0, "TF_ORIG_A0");
_Static_assert(offsetof(struct trap_frame, fcsr) == TF_FCSR, "TF_FCSR");
_Static_assert(offsetof(struct trap_frame, fregs) == TF_FREGS, "TF_FREGS");
_Static_assert(sizeof(struct trap_frame) == TF_SIZE, "TF_SIZE");
_Static_assert(TF_SIZE % 16 == 0, "trap frame keeps sp 16-byte aligned");
_Static_assert(offsetof(struct hal_context, s) == CTX_S(0), "CTX_S");
_Static_assert(offsetof(struct rv_cpu, kstack_top) == RVCPU_KSTACK_TOP, "RVCPU_KSTACK_TOP");
_Static_assert(offsetof(struct rv_cpu, scratch) == RVCPU_SCRATCH, "RVCPU_SCRATCH");
_Static_assert(offsetof(struct rv_cpu, cpu) == RVCPU_CPU, "RVCPU_CPU");

#define REG_SP 2
#define REG_TP 4
#define REG_A0 10
#define REG_A7 17

void hal_context_init(struct hal_context *ctx, uintptr_t kstack_top,
		      void (*fn)(void *), void *arg)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->ra = (unsigned long)rv_kthread_start;
	ctx->sp = ALIGN_DOWN(kstack_top, 16);
	ctx->s[1] = (unsigned long)fn;
	ctx->s[2] = (unsigned long)arg;
}

/*
 * A context that last ran on another CPU may have changed its FP registers
 * there: this CPU's fp_owner may name its frame with older values, so it
 * is forgotten (the return to user reloads them from the frame).
 */
void hal_context_switch(struct hal_context *prev, struct hal_context *next)
{
	struct rv_cpu *rc = rv_cpu_this();

	if (next->fp_cpu != rc) {
		rc->fp_owner = NULL;
		next->fp_cpu = rc;
	}
	rv_context_switch(prev, next);
}

void hal_set_tls(struct hal_context *ctx, struct trap_frame *tf, uintptr_t tls, bool running)
{
	tf->regs[REG_TP] = tls;
}

uintptr_t hal_get_tls(const struct hal_context *ctx, const struct trap_frame *tf)
{
	return tf->regs[REG_TP];
}

uintptr_t hal_frame_pc(const struct trap_frame *tf)
{
	return tf->sepc;
}

uintptr_t hal_frame_sp(const struct trap_frame *tf)
{
	return tf->regs[REG_SP];
}

void hal_frame_set_pc(struct trap_frame *tf, uintptr_t pc)
{
	tf->sepc = pc;
}

void hal_frame_set_sp(struct trap_frame *tf, uintptr_t sp)
{
	tf->regs[REG_SP] = sp;
}

/* User mode, interrupts on after sret, FP usable with zeroed registers. */
void hal_frame_init_user(struct trap_frame *tf, uintptr_t entry, uintptr_t sp)
{
	memset(tf, 0, sizeof(*tf));
	tf->sepc = entry;
	tf->regs[REG_SP] = sp;
	tf->sstatus = SSTATUS_SPIE | SSTATUS_FS_INITIAL;
}

unsigned long hal_syscall_nr(const struct trap_frame *tf)
{
	return tf->regs[REG_A7];
}

unsigned long hal_syscall_arg(const struct trap_frame *tf, int i)
{
	return tf->regs[REG_A0 + i];
}

void hal_syscall_set_return(struct trap_frame *tf, long ret)
{
	tf->regs[REG_A0] = (unsigned long)ret;
}

void hal_syscall_restart(struct trap_frame *tf)
{
	tf->regs[REG_A0] = tf->orig_a0;
	tf->sepc -= 4;
}
