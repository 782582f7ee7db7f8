/*
 * The vDSO's data block (include/ferrite/vdso.h), in its own translation
 * unit so that vdso.c sees only a declaration: the compiler can neither
 * fold the placeholder values below into the code nor needs volatile
 * accesses, and the fast path reads the fields straight into arithmetic.
 * The kernel finds the block by its magic and fills it in its master copy.
 */
#define FERRITE_VDSO_BUILD
#include <ferrite/vdso.h>

__attribute__((visibility("hidden"), aligned(64))) const struct vdso_data vdso_data = {
	.magic = VDSO_DATA_MAGIC,
};
