/*
 * Syscall dispatch: look the number up in the generated table and call the
 * handler (syscall_invoke; the arch entries pass the registers directly).
 * Unknown numbers return -ENOSYS and are logged once by name.
 */
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <ferrite/syscall.h>
#include <ferrite/signal.h>
#include <ferrite/spinlock.h>
#include <hal/hal_trap.h>

#define SYSCALL_DEBUG 0

static uint8_t enosys_logged[(FERRITE_SYSCALL_BASE + 64) / 8];

static void log_enosys_once(unsigned long nr, const char *name)
{
	if (nr < sizeof(enosys_logged) * 8) {
		uint8_t bit = 1u << (nr % 8);
		if (__atomic_fetch_or(&enosys_logged[nr / 8], bit, __ATOMIC_RELAXED) & bit)
			return;
	}
	if (name)
		pr_warn("syscall %s (%lu) not implemented: -ENOSYS\n", name, nr);
	else
		pr_warn("unknown syscall %lu: -ENOSYS\n", nr);
}

long syscall_invoke(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2,
		    unsigned long a3, unsigned long a4, unsigned long a5)
{
	const struct syscall_entry *e;
	long ret;

	/* Guard: a number inside the table with a handler; else -ENOSYS. */
	if (likely(nr < syscall_table_size) && likely((e = &syscall_table[nr])->fn)) {
		ret = e->fn(a0, a1, a2, a3, a4, a5);
		pr_debug_if(SYSCALL_DEBUG, "%s(%lx, %lx, %lx) = %ld\n", e->name, a0, a1, a2, ret);
	} else {
		log_enosys_once(nr, nr < syscall_table_size ? syscall_table[nr].name : NULL);
		ret = -ENOSYS;
	}
	/* Restart codes never reach user space (no restarts before signal frames). */
	return signal_fixup_syscall_return(ret);
}

void syscall_dispatch(struct trap_frame *tf)
{
	hal_syscall_set_return(tf, syscall_invoke(hal_syscall_nr(tf), hal_syscall_arg(tf, 0),
						  hal_syscall_arg(tf, 1), hal_syscall_arg(tf, 2),
						  hal_syscall_arg(tf, 3), hal_syscall_arg(tf, 4),
						  hal_syscall_arg(tf, 5)));
}
