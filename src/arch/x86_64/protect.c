/*
 * x86_64 self-protection: SMEP (no kernel execution of user pages), SMAP
 * (no kernel access to user pages but between stac and clac, which only
 * the user-copy routines use: uaccess.S, hal/x86_64/uaccess_inline.h) and
 * UMIP, each when CPUID has it, on every CPU. x86_smap_on tells the
 * user-copy routines whether stac/clac exist (they are #UD without SMAP). Set once at boot
 * before any user process runs (secondary CPUs apply the same CR4 bits in
 * x86_secondary_main); read-only afterwards.
 */
#include <ferrite/printk.h>
#include <hal/hal_protect.h>
#include <hal/hal_trap.h>
#include "x86.h"

#define CPUID7_EBX_SMEP (1u << 7)
#define CPUID7_EBX_SMAP (1u << 20)
#define CPUID7_ECX_UMIP (1u << 2)
#define CR4_UMIP (1UL << 11)
#define CR4_SMEP (1UL << 20)
#define CR4_SMAP (1UL << 21)

bool x86_smap_on;
static unsigned protections;
static unsigned long cr4_bits; /* what every CPU sets: found on the boot CPU */

/* The boot CPU: find what the CPU has, turn it on and say so. */
void x86_protect_init(void)
{
	uint32_t max, a, b, c, d;

	cpuid(0, &max, &b, &c, &d);
	if (max >= 7) {
		cpuid(7, &a, &b, &c, &d);
		if (b & CPUID7_EBX_SMEP)
			cr4_bits |= CR4_SMEP, protections |= HAL_PROTECT_SMEP;
		if (b & CPUID7_EBX_SMAP)
			cr4_bits |= CR4_SMAP, protections |= HAL_PROTECT_SMAP;
		if (c & CPUID7_ECX_UMIP)
			cr4_bits |= CR4_UMIP, protections |= HAL_PROTECT_UMIP;
	}
	x86_protect_cpu_init();
	x86_smap_on = protections & HAL_PROTECT_SMAP;
	pr_info("x86: SMEP %s, SMAP %s, UMIP %s\n", protections & HAL_PROTECT_SMEP ? "on" : "absent",
		x86_smap_on ? "on" : "absent", protections & HAL_PROTECT_UMIP ? "on" : "absent");
}

/* Every CPU (CR4 is per CPU): the bits the boot CPU chose. */
void x86_protect_cpu_init(void)
{
	write_cr4(read_cr4() | cr4_bits);
}

unsigned hal_protections(void)
{
	return protections;
}

/* The load is the first instruction: at a fault rsp still points at the
 * return address. */
__asm__(".text\n"
	".globl hal_probe_read\n"
	".type hal_probe_read, @function\n"
	"hal_probe_read:\n"
	"	movq (%rdi), %rax\n"
	"	ret\n"
	".size hal_probe_read, . - hal_probe_read\n"
	".globl hal_probe_write\n"
	".type hal_probe_write, @function\n"
	"hal_probe_write:\n"
	"	movq %rsi, (%rdi)\n"
	"	ret\n"
	".size hal_probe_write, . - hal_probe_write\n"
	".data\n"
	".globl hal_probe_data_code\n"
	".balign 8\n"
	"hal_probe_data_code:\n"
	"	.byte 0xc3, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc\n" /* ret; int3 */
	".text\n");

void hal_frame_return_from_probe(struct trap_frame *tf, long value)
{
	tf->rip = *(const uint64_t *)tf->rsp; /* the faulting frame's return address */
	tf->rsp += 8;
	tf->rax = (uint64_t)value;
}
