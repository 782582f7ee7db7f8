/*
 * -fstack-protector-strong for the kernel: every function with a local
 * array or an address-taken local keeps __stack_chk_guard below its
 * return address and checks it on the way out; a mismatch means its
 * stack was overwritten, and the kernel stops (as Linux: a corrupted
 * kernel stack cannot be trusted to unwind). The guard is a fixed value
 * until stack_protector_init() makes it random for this boot, early in
 * kmain; kmain and its caller never return, so no frame alive across
 * the change is ever checked. Written once, read everywhere: no lock.
 */
#include <ferrite/printk.h>
#include <ferrite/random.h>
#include <ferrite/stack_protector.h>
#include <ferrite/types.h>

uintptr_t __stack_chk_guard = 0x595e9fbd94fda700UL;

void __stack_chk_fail(void) __attribute__((noreturn));
void __stack_chk_fail(void)
{
	panic("stack-protector: kernel stack corrupted in the function returning to %lx",
	      (unsigned long)__builtin_return_address(0));
}

__attribute__((no_stack_protector)) void stack_protector_init(void)
{
	/* The low byte stays 0, as glibc's: a string overflow stops there. */
	WRITE_ONCE(__stack_chk_guard, (uintptr_t)random_u64() & ~0xffUL);
}
