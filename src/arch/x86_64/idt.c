/*
 * The IDT: one interrupt gate per vector, each pointing at its stub in
 * entry.S. Interrupt gates clear IF; trap.c re-enables interrupts where a
 * handler may sleep. #BP and #OF may be raised from user mode (int3, into).
 * #DF, NMI and #MC run on their per-CPU IST stacks (gdt.c).
 * Built once at boot and shared by all CPUs (read-only afterwards).
 */
#include "x86.h"

struct idt_gate {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __packed;

static struct idt_gate idt[256] __aligned(16);

static void set_gate(unsigned vec, uint64_t handler, unsigned dpl, unsigned ist)
{
	idt[vec] = (struct idt_gate){
		.offset_low = handler & 0xffff,
		.selector = KERNEL_CS,
		.ist = ist,
		.type_attr = 0x8e | (dpl << 5), /* present, 64-bit interrupt gate */
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_high = handler >> 32,
	};
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __packed ptr = { sizeof(idt) - 1, (uintptr_t)idt };
	__asm__ volatile("lidt %0" ::"m"(ptr));
}

void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		set_gate(v, x86_trap_stubs[v], (v == 3 || v == 4) ? 3 : 0,
			 v == 8 ? X86_IST_DF : v == 2 ? X86_IST_NMI : v == 18 ? X86_IST_MC : 0);
	idt_load();
}
