/*
 * The syscall table (generated, see scripts/gen-syscalls.py). Handlers are
 * `long sys_NAME(...)` taking their arguments with their natural types; the
 * table calls every handler with six unsigned long arguments, which the
 * riscv64 and x86_64 calling conventions pass in registers, so the unused
 * ones are harmless.
 */
#pragma once
#include <ferrite/types.h>

typedef long (*syscall_fn)(unsigned long, unsigned long, unsigned long,
			   unsigned long, unsigned long, unsigned long);

struct syscall_entry {
	const char *name; /* Linux name; NULL for a hole in the numbering */
	syscall_fn fn;    /* NULL: not implemented, -ENOSYS */
};

extern const struct syscall_entry syscall_table[];
extern const unsigned syscall_table_size;

/* Ferrite's own calls live above Linux's numbers on both architectures. */
#define FERRITE_SYSCALL_BASE 1000

/*
 * The handler of system call nr, NULL when there is none (the caller then
 * returns syscall_enosys(nr)). Inline: the arch entries call the handler
 * with the registers read straight from their trap frame (the fast path).
 * A handler's result goes to user space as is; restart codes stay in the
 * frame for signal delivery to resolve.
 */
static inline syscall_fn syscall_handler(unsigned long nr)
{
	return likely(nr < syscall_table_size) ? syscall_table[nr].fn : NULL;
}

/* An unknown or unimplemented number: log it once by name, -ENOSYS. */
long syscall_enosys(unsigned long nr);

/* Run system call nr with its six arguments: syscall_handler's handler or
 * syscall_enosys (syscall_dispatch(tf) is the same through the hal_syscall_*
 * accessors). */
long syscall_invoke(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2,
		    unsigned long a3, unsigned long a4, unsigned long a5);
