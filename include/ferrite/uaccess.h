/*
 * Moving data across the user/kernel boundary (current address space). Bad
 * user pointers give -EFAULT. The copies touch user memory directly (arch
 * routines of hal/hal_uaccess.h); a page fault inside them is resolved
 * through vm_handle_fault() like a user fault, or ends the copy with
 * -EFAULT. The caller must not hold a spinlock: a fault may sleep.
 * Copies of a small constant size (structs, words) do their range checks
 * inline and call the arch routine directly; every other size goes to
 * copy_{from,to}_user_any. Both give the same results.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/errno.h>
#include <ferrite/fault_inject.h>
#ifndef FERRITE_HOST
#include <ferrite/cpu.h>
#include <ferrite/task.h>
#include <hal/hal_mmu.h>
#include <hal/hal_uaccess.h>
#endif

#ifdef FERRITE_HOST
/* The host tests' fake HAL: out of line (src/mm/uaccess.c or a test's own). */
int __must_check copy_from_user(void *dst, const void __user *src, size_t n);
int __must_check copy_to_user(void __user *dst, const void *src, size_t n);
static inline int __must_check __copy_to_user(void __user *dst, const void *src, size_t n)
{
	return copy_to_user(dst, src, n);
}
#else
/* Any size (out of line, src/mm/uaccess.c). Use copy_{from,to}_user. */
int __must_check copy_from_user_any(void *dst, const void __user *src, size_t n);
int __must_check copy_to_user_any(void __user *dst, const void *src, size_t n);

/* Copies of at most this many bytes whose size is a compile-time constant
 * (a struct, a word) run their checks inline and call the arch routine
 * straight away. */
#define UACCESS_INLINE_MAX 256

/* The checks of src/mm/uaccess.c's user_range_ok for a constant n in
 * (0, UACCESS_INLINE_MAX]: the current task (every task has a process) has
 * a user address space and [uaddr, uaddr+n) lies in its user half (no
 * wrap: hal_user_max > n). */
static __always_inline bool uaccess_small_range_ok(uintptr_t uaddr, size_t n)
{
	return current->proc->mm && uaddr >= HAL_USER_MIN && uaddr <= hal_user_max - n;
}

/* Copy n bytes from user memory. 0 or -EFAULT. */
static __always_inline int __must_check copy_from_user(void *dst, const void __user *src, size_t n)
{
	if (fault_inject_site(FI_UACCESS))
		return -EFAULT;
	if (__builtin_constant_p(n) && n > 0 && n <= UACCESS_INLINE_MAX)
		return uaccess_small_range_ok((uintptr_t)src, n) &&
				       !hal_user_copy(dst, (const void *)src, n)
			       ? 0
			       : -EFAULT;
	return copy_from_user_any(dst, src, n);
}

/* Copy n bytes to user memory. 0 or -EFAULT. */
static __always_inline int __must_check copy_to_user(void __user *dst, const void *src, size_t n)
{
	if (fault_inject_site(FI_UACCESS))
		return -EFAULT;
	if (__builtin_constant_p(n) && n > 0 && n <= UACCESS_INLINE_MAX)
		return uaccess_small_range_ok((uintptr_t)dst, n) && !hal_user_copy((void *)dst, src, n)
			       ? 0
			       : -EFAULT;
	return copy_to_user_any(dst, src, n);
}

/* copy_to_user for a system call's own user array whose range the caller
 * has checked once (Linux's access_ok, then __put_user per element): it
 * lies in [HAL_USER_MIN, hal_user_max). 0 or -EFAULT. */
static __always_inline int __must_check __copy_to_user(void __user *dst, const void *src, size_t n)
{
	if (fault_inject_site(FI_UACCESS))
		return -EFAULT;
	return hal_user_copy((void *)dst, src, n) ? -EFAULT : 0;
}
#endif

int __must_check clear_user(void __user *dst, size_t n);
/* Copy up to n bytes, stopping at the first byte that cannot be accessed.
 * Return the bytes copied: n, or fewer after a fault (0 for a range outside
 * the user half). Bulk transfers (pipes) use them to report a short count. */
size_t copy_to_user_upto(void __user *dst, const void *src, size_t n);
size_t copy_from_user_upto(void *dst, const void __user *src, size_t n);
/* Copy a NUL-terminated string of at most max-1 chars. Return its length,
 * -EFAULT, or -ENAMETOOLONG when no NUL is found within max bytes. */
long __must_check strncpy_from_user(char *dst, const char __user *src, size_t max);

/* Linux's copy_struct_from_user: copy a versioned struct of usize bytes
 * into dst (ksize bytes, the version this kernel knows). A shorter user
 * struct is zero-extended; a longer one's extra bytes must all be zero.
 * 0, -E2BIG (non-zero tail) or -EFAULT. Callers check usize's bounds. */
int __must_check copy_struct_from_user(void *dst, size_t ksize, const void __user *src,
				       size_t usize);

#define get_user(kvar, uptr) copy_from_user(&(kvar), (uptr), sizeof(kvar))
#define put_user(kval, uptr)                                  \
	({                                                    \
		__typeof__(*(uptr)) __v = (kval);             \
		copy_to_user((uptr), &__v, sizeof(__v));      \
	})
