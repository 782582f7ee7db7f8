/*
 * Syscall dispatch: look the number up in the generated table and call the
 * handler. The arch entries call the handler themselves (syscall_handler in
 * <ferrite/syscall.h>) and come here only for an unknown number
 * (syscall_enosys: -ENOSYS, logged once by name); syscall_invoke and
 * syscall_dispatch are the same through one call.
 * Restart codes (-ERESTART*) stay in the frame: signal delivery on the way
 * back to user mode resolves them (src/ipc/signal_deliver.c).
 */
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <ferrite/syscall.h>
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

long syscall_enosys(unsigned long nr)
{
	log_enosys_once(nr, nr < syscall_table_size ? syscall_table[nr].name : NULL);
	return -ENOSYS;
}

long syscall_invoke(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2,
		    unsigned long a3, unsigned long a4, unsigned long a5)
{
	syscall_fn fn = syscall_handler(nr);
	long ret;

	if (unlikely(!fn))
		return syscall_enosys(nr);
	ret = fn(a0, a1, a2, a3, a4, a5);
	pr_debug_if(SYSCALL_DEBUG, "%s(%lx, %lx, %lx) = %ld\n", syscall_table[nr].name, a0, a1,
		    a2, ret);
	return ret;
}

void syscall_dispatch(struct trap_frame *tf)
{
	hal_syscall_set_return(tf, syscall_invoke(hal_syscall_nr(tf), hal_syscall_arg(tf, 0),
						  hal_syscall_arg(tf, 1), hal_syscall_arg(tf, 2),
						  hal_syscall_arg(tf, 3), hal_syscall_arg(tf, 4),
						  hal_syscall_arg(tf, 5)));
}
