/*
 * Moving data across the user/kernel boundary (current address space). Bad
 * user pointers give -EFAULT. The copies touch user memory directly (arch
 * routines of hal/hal_uaccess.h); a page fault inside them is resolved
 * through vm_handle_fault() like a user fault, or ends the copy with
 * -EFAULT. The caller must not hold a spinlock: a fault may sleep.
 */
#pragma once
#include <ferrite/types.h>

int __must_check copy_from_user(void *dst, const void __user *src, size_t n);
int __must_check copy_to_user(void __user *dst, const void *src, size_t n);
int __must_check clear_user(void __user *dst, size_t n);
/* Copy up to n bytes, stopping at the first byte that cannot be accessed.
 * Return the bytes copied: n, or fewer after a fault (0 for a range outside
 * the user half). Bulk transfers (pipes) use them to report a short count. */
size_t copy_to_user_upto(void __user *dst, const void *src, size_t n);
size_t copy_from_user_upto(void *dst, const void __user *src, size_t n);
/* Copy a NUL-terminated string of at most max-1 chars. Return its length,
 * -EFAULT, or -ENAMETOOLONG when no NUL is found within max bytes. */
long __must_check strncpy_from_user(char *dst, const char __user *src, size_t max);

#define get_user(kvar, uptr) copy_from_user(&(kvar), (uptr), sizeof(kvar))
#define put_user(kval, uptr)                                  \
	({                                                    \
		__typeof__(*(uptr)) __v = (kval);             \
		copy_to_user((uptr), &__v, sizeof(__v));      \
	})
