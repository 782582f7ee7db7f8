/*
 * Direct access to the current address space's user half (each arch's
 * uaccess.S). The routines touch user memory with ordinary loads and stores;
 * a page fault inside one of them is a "user-access fault": the arch trap
 * code finds the faulting pc in hal_uaccess_fixups, resolves the fault with
 * vm_handle_fault() (lazy, COW, stack growth, with the VMA checks of a user
 * access) and retries the instruction, or, when that fails, resumes at the
 * routine's fix-up label, which reports the failure. Any other kernel fault
 * still panics.
 * Callers (src/mm/uaccess.c) check first that the whole range lies in
 * [HAL_USER_MIN, hal_user_max) and that the task has an mm. No locks are
 * held by the routines; the caller must not hold a spinlock (a fault may
 * sleep).
 */
#pragma once
#include <ferrite/types.h>

/* Copy n bytes (one side is user memory). Return the bytes not copied. */
size_t hal_user_copy(void *dst, const void *src, size_t n);
/* Zero n bytes of user memory. Return the bytes not zeroed. */
size_t hal_user_clear(void __user *dst, size_t n);
/* Copy bytes from src until a NUL (copied too) or max bytes. Return the
 * length before the NUL, max when none was found, or -EFAULT. */
long hal_user_strncpy(char *dst, const char __user *src, size_t max);

/* One fault region of a routine: a fault at pc in [start, end) resumes at
 * fixup if it cannot be resolved. The table ends with a zero entry. */
struct hal_uaccess_fixup {
	uintptr_t start, end, fixup;
};

extern const struct hal_uaccess_fixup hal_uaccess_fixups[];
/* The entries of inline accesses (hal_user_read_words and the like), one
 * per access, gathered by the linker script. */
extern const struct hal_uaccess_fixup __start_uaccess_fixup[], __stop_uaccess_fixup[];

static inline const struct hal_uaccess_fixup *hal_uaccess_fixup_find(uintptr_t pc)
{
	for (const struct hal_uaccess_fixup *f = hal_uaccess_fixups; f->start; f++)
		if (pc >= f->start && pc < f->end)
			return f;
	for (const struct hal_uaccess_fixup *f = __start_uaccess_fixup; f < __stop_uaccess_fixup; f++)
		if (pc >= f->start && pc < f->end)
			return f;
	return NULL;
}

/*
 * One user word inline, for hot syscalls that move one small struct (Linux's
 * unsafe_get_user/unsafe_put_user): the word goes to a register, no call.
 * The caller has checked the range as for hal_user_copy and holds no
 * spinlock. err is passed along a series of accesses: each returns err
 * unchanged, or -EFAULT when its word could not be accessed (a failed get
 * gives 0), so one test after the series covers it.
 *   int hal_user_get_word(uint64_t *val, const void __user *src, int err);
 *   int hal_user_put_word(void __user *dst, uint64_t val, int err);
 */
#if defined(__x86_64__)
#include <hal/x86_64/uaccess_inline.h>
#elif defined(__riscv)
#include <hal/riscv64/uaccess_inline.h>
#endif
