/* The kernel's own symbol table, embedded by the second link pass. */
#pragma once
#include <ferrite/types.h>

struct ksym {
	uintptr_t addr;
	const char *name;
};
extern const struct ksym ksyms[];
extern const unsigned ksyms_count;
/* Return the name of the function containing pc (and its offset), or NULL. */
const char *ksym_lookup(uintptr_t pc, uintptr_t *offset);
