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
