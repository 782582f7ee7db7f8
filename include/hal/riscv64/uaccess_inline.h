/*
 * riscv64: single user words inline (included by hal/hal_uaccess.h), as
 * Linux's unsafe_get_user/unsafe_put_user. sstatus.SUM is set around the
 * one access; the access has its own entry in the uaccess_fixup section
 * (gathered by the linker script between __start_uaccess_fixup and
 * __stop_uaccess_fixup): a fault there is resolved and the access retried
 * (rv_trap_kernel keeps SUM in the saved sstatus), or execution resumes at
 * the entry's fix-up (in .text.uaccess_fixup), which sets the error to
 * -EFAULT and goes on past the access, where SUM is cleared. No locks; the
 * "memory" clobber keeps an access where the caller put it, outside its
 * spinlocks (a fault may sleep).
 */
#pragma once
#include <ferrite/types.h>

#define HAL_RV_SSTATUS_SUM (1UL << 18)

#define HAL_RV_USER_ACCESS(insn, fix)                                          \
	"	csrs sstatus, %[sum]\n"                                        \
	"1:	" insn "\n"                                                    \
	"2:	csrc sstatus, %[sum]\n"                                        \
	"	.pushsection .text.uaccess_fixup, \"ax\"\n"                    \
	"3:	li %[err], -14\n" fix "	j 2b\n"                                \
	"	.popsection\n"                                                 \
	"	.pushsection uaccess_fixup, \"a\"\n"                           \
	"	.balign 8\n"                                                   \
	"	.dword 1b, 2b, 3b\n"                                           \
	"	.popsection\n"

static __always_inline int hal_user_get_word(uint64_t *val, const void __user *src, int err)
{
	uint64_t v;

	__asm__ volatile(HAL_RV_USER_ACCESS("ld %[v], %[mem]", "	li %[v], 0\n")
			 : [v] "=&r"(v), [err] "+r"(err)
			 : [mem] "m"(*(const uint64_t *)src), [sum] "r"(HAL_RV_SSTATUS_SUM)
			 : "memory");
	*val = v;
	return err;
}

static __always_inline int hal_user_put_word(void __user *dst, uint64_t val, int err)
{
	__asm__ volatile(HAL_RV_USER_ACCESS("sd %[v], %[mem]", "")
			 : [mem] "=m"(*(uint64_t *)dst), [err] "+r"(err)
			 : [v] "r"(val), [sum] "r"(HAL_RV_SSTATUS_SUM)
			 : "memory");
	return err;
}
