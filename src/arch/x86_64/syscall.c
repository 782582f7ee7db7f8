/*
 * SYSCALL/SYSRET setup (per CPU, at boot) and arch_prctl(2).
 * The entry itself is x86_syscall_entry in entry.S.
 */
#include <ferrite/errno.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include <ferrite/uaccess.h>
#include <hal/hal_context.h>
#include <hal/hal_mmu.h>
#include "x86.h"

void syscall_init(void)
{
	/* EFER.SCE: make SYSCALL/SYSRET legal. */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/*
	 * STAR[47:32]: SYSCALL loads CS = 0x10, SS = 0x18 (kernel).
	 * STAR[63:48]: 64-bit SYSRET loads CS = 0x20 + 16 = 0x33 (user code)
	 * and SS = 0x20 + 8 = 0x2b (user data), both with RPL 3.
	 */
	wrmsr(MSR_STAR, ((uint64_t)(USER32_CS & ~3) << 48) | ((uint64_t)KERNEL_CS << 32));
	/* LSTAR: the 64-bit entry point. */
	wrmsr(MSR_LSTAR, (uintptr_t)x86_syscall_entry);
	/* FMASK: clear IF (no interrupt before swapgs and the stack switch),
	 * DF (the C ABI), TF (no single-step into the kernel), AC (SMAP). */
	wrmsr(MSR_FMASK, RFLAGS_IF | (1UL << 10) | (1UL << 8) | (1UL << 18));
}

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

long sys_arch_prctl(int code, unsigned long addr);
long sys_arch_prctl(int code, unsigned long addr)
{
	struct task *t = current;

	switch (code) {
	case ARCH_SET_FS:
		if (addr >= hal_user_max)
			return -EPERM;
		hal_set_tls(&t->ctx, t->tf, addr, true);
		return 0;
	case ARCH_SET_GS:
		if (addr >= hal_user_max)
			return -EPERM;
		t->ctx.gs_base = addr;
		/* In the kernel the user's GS base waits in KERNEL_GS_BASE. */
		wrmsr(MSR_KERNEL_GS_BASE, addr);
		return 0;
	case ARCH_GET_FS:
		return put_user((unsigned long)t->ctx.fs_base, (unsigned long __user *)addr);
	case ARCH_GET_GS:
		return put_user((unsigned long)t->ctx.gs_base, (unsigned long __user *)addr);
	}
	return -EINVAL;
}
