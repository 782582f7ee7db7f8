/*
 * Kernel context switch, new-thread setup, user TLS (FS/GS bases) and the
 * user FPU/SSE state. Policy: eager FXSAVE/FXRSTOR on every switch; the
 * state lives in struct hal_context (not in the trap frame). The kernel
 * itself never uses FPU/SSE (-mno-sse), so between switches the registers
 * hold the running task's user state. Per-CPU fpu_owner names the context
 * whose state is live. Called with interrupts off by the scheduler.
 */
#include <ferrite/string.h>
#include <hal/hal_context.h>
#include "x86.h"

/* A clean FPU image (FCW 0x37f, MXCSR 0x1f80), taken at boot. */
static uint8_t fpu_initial[X86_FXSAVE_SIZE] __aligned(16);

static void *fpu_area(const struct hal_context *ctx)
{
	return (void *)ALIGN_UP((uintptr_t)ctx->fpu_raw, 16);
}

static void fxsave(void *area) { __asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory"); }
static void fxrstor(const void *area) { __asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory"); }

void fpu_init(void)
{
	uint64_t cr0 = read_cr0();
	cr0 &= ~(1UL << 2);            /* EM: no emulation */
	cr0 &= ~(1UL << 3);            /* TS: no lazy switching */
	cr0 |= (1UL << 1) | (1UL << 5); /* MP, NE: native x87 errors */
	write_cr0(cr0);
	write_cr4(read_cr4() | (1UL << 9) | (1UL << 10)); /* OSFXSR, OSXMMEXCPT */
	__asm__ volatile("fninit");
	uint32_t mxcsr = 0x1f80;
	__asm__ volatile("ldmxcsr %0" ::"m"(mxcsr));
	if (this_x86_cpu()->id == 0) /* the others set up their registers only */
		fxsave(fpu_initial);
}

void hal_context_copy_fpu(struct hal_context *dst, const struct hal_context *src)
{
	if (this_x86_cpu()->fpu_owner == src)
		fxsave(fpu_area(dst)); /* src is running: its state is live */
	else
		memcpy(fpu_area(dst), fpu_area(src), X86_FXSAVE_SIZE);
	dst->fs_base = src->fs_base;
	dst->gs_base = src->gs_base;
}

void hal_context_init(struct hal_context *ctx, uintptr_t kstack_top,
		      void (*fn)(void *), void *arg)
{
	memset(ctx, 0, sizeof(*ctx));
	/* Start below a trap frame slot, so a user frame prepared at the top
	 * of the stack survives fn's first calls. */
	ctx->rsp = ALIGN_DOWN(kstack_top - sizeof(struct trap_frame), 16);
	ctx->rip = (uintptr_t)x86_thread_start;
	ctx->r12 = (uintptr_t)fn;
	ctx->r13 = (uintptr_t)arg;
	memcpy(fpu_area(ctx), fpu_initial, X86_FXSAVE_SIZE);
}

void hal_context_switch(struct hal_context *prev, struct hal_context *next)
{
	struct x86_cpu *c = this_x86_cpu();

	fxsave(fpu_area(prev));
	fxrstor(fpu_area(next));
	c->fpu_owner = next;
	wrmsr(MSR_FS_BASE, next->fs_base);
	wrmsr(MSR_KERNEL_GS_BASE, next->gs_base); /* swapgs makes it GS in user mode */
	x86_switch(prev, next);
}

void hal_set_tls(struct hal_context *ctx, struct trap_frame *tf, uintptr_t tls, bool running)
{
	ctx->fs_base = tls;
	if (running)
		wrmsr(MSR_FS_BASE, tls);
}

uintptr_t hal_get_tls(const struct hal_context *ctx, const struct trap_frame *tf)
{
	return ctx->fs_base;
}
