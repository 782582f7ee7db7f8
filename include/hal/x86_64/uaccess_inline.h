/*
 * x86_64: single user words inline (included by hal/hal_uaccess.h), as
 * Linux's unsafe_get_user/unsafe_put_user. Each access is one instruction
 * with its own entry in the uaccess_fixup section (gathered by the linker
 * script between __start_uaccess_fixup and __stop_uaccess_fixup): a fault
 * there is resolved and the access retried, or execution resumes at the
 * entry's fix-up (in .text.uaccess_fixup), which sets the error to -EFAULT
 * and skips the access. With SMAP on (src/arch/x86_64/protect.c) the
 * access sits between stac and clac, both taken by the fix-up path too.
 * No locks; the "memory" clobbers keep an access where the caller put it,
 * outside its spinlocks (a fault may sleep).
 */
#pragma once
#include <ferrite/types.h>

extern bool x86_smap_on; /* set once at boot; stac/clac are #UD without SMAP */

static __always_inline void hal_x86_stac(void)
{
	if (x86_smap_on)
		__asm__ volatile("stac" ::: "memory");
}

static __always_inline void hal_x86_clac(void)
{
	if (x86_smap_on)
		__asm__ volatile("clac" ::: "memory");
}

#define HAL_X86_USER_ACCESS(insn, fix)                                         \
	"1:	" insn "\n"                                                    \
	"2:\n"                                                                 \
	"	.pushsection .text.uaccess_fixup, \"ax\"\n"                    \
	"3:	movl $-14, %k[err]\n" fix "	jmp 2b\n"                      \
	"	.popsection\n"                                                 \
	"	.pushsection uaccess_fixup, \"a\"\n"                           \
	"	.balign 8\n"                                                   \
	"	.quad 1b, 2b, 3b\n"                                            \
	"	.popsection\n"

static __always_inline int hal_user_get_word(uint64_t *val, const void __user *src, int err)
{
	uint64_t v;

	hal_x86_stac();
	__asm__ volatile(HAL_X86_USER_ACCESS("movq %[mem], %[v]", "	xorl %k[v], %k[v]\n")
			 : [v] "=r"(v), [err] "+r"(err)
			 : [mem] "m"(*(const uint64_t *)src)
			 : "memory");
	hal_x86_clac();
	*val = v;
	return err;
}

static __always_inline int hal_user_put_word(void __user *dst, uint64_t val, int err)
{
	hal_x86_stac();
	__asm__ volatile(HAL_X86_USER_ACCESS("movq %[v], %[mem]", "")
			 : [mem] "=m"(*(uint64_t *)dst), [err] "+r"(err)
			 : [v] "r"(val)
			 : "memory");
	hal_x86_clac();
	return err;
}
