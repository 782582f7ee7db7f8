/*
 * A dynamically linked program that is not position independent (ET_EXEC,
 * linked at a fixed address) and needs libm: the kernel maps it where it
 * was linked and ld.so anywhere else; cos() comes from libm.so.6.
 * Option: --via-ldso (dyn_ldso_direct started us through ld.so).
 */
#define _GNU_SOURCE
#include "common.h"
#include <dlfcn.h>
#include <link.h>
#include <math.h>
#include <sys/auxv.h>

extern void _start(void);

static int first_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(uintptr_t *)data = info->dlpi_addr;
	return 1;
}

int main(int argc, char **argv)
{
	int via_ldso = argc > 1 && !strcmp(argv[1], "--via-ldso");
	volatile double zero = 0.0;
	uintptr_t bias = 1;

	dl_iterate_phdr(first_object, &bias);
	CHECK(bias == 0, "ET_EXEC program relocated by %#lx", (unsigned long)bias);
	CHECK((uintptr_t)main < 0x10000000, "main at %p: not at its link address", (void *)main);
	CHECK(getauxval(AT_ENTRY) == (uintptr_t)_start, "AT_ENTRY %#lx, _start %p",
	      getauxval(AT_ENTRY), (void *)_start);
	if (!via_ldso)
		CHECK(getauxval(AT_BASE) != 0, "AT_BASE 0 for a dynamically linked program");
	CHECK(cos(zero) == 1.0 && exp(zero) == 1.0, "cos(0) %f", cos(zero));
	/* (In an ET_EXEC, &cos is the program's own PLT entry.) */
	CHECK(dlopen("libm.so.6", RTLD_NOW | RTLD_NOLOAD) != NULL, "libm.so.6 not loaded");
	return 0;
}
