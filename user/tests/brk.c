/*
 * brk: grow, write and read every page, shrink (the released pages fault),
 * grow again (pages come back zeroed). Uses the raw syscall so malloc's own
 * use of brk does not interfere.
 */
#include "common.h"
#include <sys/syscall.h>

#define PAGE 4096UL
#define GROW (1024 * 1024UL)

static unsigned long sys_brk(unsigned long addr)
{
	return (unsigned long)syscall(SYS_brk, addr);
}

static void touch(void *p)
{
	*(volatile char *)p = 1;
}

int main(void)
{
	unsigned long start = sys_brk(0);
	CHECK(start != 0 && start != (unsigned long)-1, "brk(0) = %#lx", start);
	unsigned long base = (start + PAGE - 1) & ~(PAGE - 1);

	unsigned long top = sys_brk(base + GROW);
	CHECK(top == base + GROW, "brk grow to %#lx gave %#lx", base + GROW, top);
	for (unsigned long a = base; a < top; a += PAGE / 4)
		CHECK(*(volatile unsigned char *)a == 0, "new brk memory at %#lx not zero", a);
	for (unsigned long a = start; a < top; a += sizeof(long))
		*(unsigned long *)a = a ^ 0x5a5a5a5aUL;
	for (unsigned long a = start; a < top; a += sizeof(long))
		CHECK(*(unsigned long *)a == (a ^ 0x5a5a5a5aUL), "brk memory at %#lx lost its value", a);

	/* Shrink by half: the top half is gone. */
	unsigned long half = base + GROW / 2;
	CHECK(sys_brk(half) == half, "brk shrink to %#lx", half);
	/* qemu-user keeps shrunk brk pages mapped; Linux and Ferrite do not. */
	if (!under_qemu_user())
		expect_killed_by(run_in_child(touch, (void *)(half + PAGE)), SIGSEGV,
				 "write above a shrunk brk");
	CHECK(*(unsigned long *)base == (base ^ 0x5a5a5a5aUL), "brk memory below the new top changed");

	/* Grow again: pages above the old top read as zero. */
	CHECK(sys_brk(base + GROW) == base + GROW, "brk regrow");
	for (unsigned long a = half; a < base + GROW; a += PAGE)
		CHECK(*(volatile unsigned long *)a == 0, "regrown brk page %#lx not zero", a);

	/* A request below the start fails by returning the current break. */
	CHECK(sys_brk(PAGE) == base + GROW, "brk(too low) did not return the current break");

	CHECK(sys_brk(start) == start, "brk back to start");
	return 0;
}
