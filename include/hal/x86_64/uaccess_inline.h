/*
 * x86_64: single user words inline (included by hal/hal_uaccess.h), as
 * Linux's unsafe_get_user/unsafe_put_user. Each access is one instruction
 * with its own entry in the uaccess_fixup section (gathered by the linker
 * script between __start_uaccess_fixup and __stop_uaccess_fixup): a fault
 * there is resolved and the access retried, or execution resumes at the
 * entry's fix-up (in .text.uaccess_fixup), which sets the error to -EFAULT
 * and skips the access. SMAP is off: no stac/clac. No locks; the "memory"
 * clobber keeps an access where the caller put it, outside its spinlocks
 * (a fault may sleep).
 */
#pragma once
#include <ferrite/types.h>

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

	__asm__ volatile(HAL_X86_USER_ACCESS("movq %[mem], %[v]", "	xorl %k[v], %k[v]\n")
			 : [v] "=r"(v), [err] "+r"(err)
			 : [mem] "m"(*(const uint64_t *)src)
			 : "memory");
	*val = v;
	return err;
}

static __always_inline int hal_user_put_word(void __user *dst, uint64_t val, int err)
{
	__asm__ volatile(HAL_X86_USER_ACCESS("movq %[v], %[mem]", "")
			 : [mem] "=m"(*(uint64_t *)dst), [err] "+r"(err)
			 : [v] "r"(val)
			 : "memory");
	return err;
}
