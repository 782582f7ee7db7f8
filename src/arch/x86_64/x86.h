/*
 * x86_64 private definitions: port and MSR access, control registers,
 * selectors, vectors and the per-CPU block reached through GS.
 * Nothing here is visible to portable code.
 */
#pragma once
#include <ferrite/types.h>
#include <hal/hal_arch_types.h>
#include <hal/hal_boot.h>

/* The kernel image is linked at KERNEL_VMA + its physical address. */
#define KERNEL_VMA 0xffffffff80000000UL
#define DIRECT_MAP_BASE 0xffff800000000000UL
/* The boot page tables map this much physical memory (2 MiB pages);
 * direct_map_extend() adds RAM above it, up to DIRECT_MAP_MAX. */
#define DIRECT_MAP_SIZE (4UL << 30)
#define DIRECT_MAP_MAX (64UL << 30)

static inline phys_addr_t kimage_to_phys(const void *p)
{
	return (phys_addr_t)((uintptr_t)p - KERNEL_VMA);
}

/* GDT selectors, in the Linux order SYSCALL/SYSRET need (see gdt.c). */
#define KERNEL_CS 0x10
#define KERNEL_DS 0x18
#define USER32_CS 0x23
#define USER_DS 0x2b
#define USER_CS 0x33
#define TSS_SEL 0x40

/* Interrupt vectors. */
#define VEC_PF 14
#define VEC_TIMER 0x20
#define VEC_COM1 0x24
#define VEC_MSI_BASE 0x30 /* device MSI/MSI-X messages (dev.c) */
#define VEC_MSI_COUNT 16
#define VEC_PIC_BASE 0xe0 /* masked 8259, spurious only */
#define VEC_IPI 0xf0      /* cross-CPU requests (smp.c) */
#define VEC_SPURIOUS 0xff
#define X86_VEC_SYSCALL 0x100 /* tf->vector of a SYSCALL frame */

#define COM1_IRQ 4

/* MSRs */
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_APIC_BASE 0x1b
#define EFER_SCE (1UL << 0)
#define EFER_NXE (1UL << 11)

#define RFLAGS_IF (1UL << 9)

/* Per-CPU block; GS base points at it while in the kernel. The assembly in
 * entry.S uses the PERCPU_* offsets, checked by static_assert in cpu.c. */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __packed;

struct x86_cpu {
	struct x86_cpu *self;          /* 0 */
	uint64_t kstack_top;           /* 8: SYSCALL entry stack */
	uint64_t user_rsp;             /* 16: SYSCALL scratch */
	struct cpu *cpu;               /* 24: portable block */
	struct hal_context *fpu_owner; /* context whose FPU state is live */
	unsigned id;
	uint32_t lapic_id;
	uint64_t next_tick_ns;         /* the timer's next tick (timer.c) */
	uint64_t mce_next_poll_ns;     /* the next poll of the MCA banks (mce.c) */
	struct tss tss __aligned(16);
	uint64_t gdt[10] __aligned(16);
};
#define PERCPU_KSTACK_TOP 8
#define PERCPU_USER_RSP 16

extern struct x86_cpu x86_cpus[];

static inline struct x86_cpu *this_x86_cpu(void)
{
	struct x86_cpu *c;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

#define DEFINE_CR(n)                                                              \
	static inline uint64_t read_cr##n(void)                                   \
	{                                                                         \
		uint64_t v;                                                       \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                 \
		return v;                                                         \
	}                                                                         \
	static inline void write_cr##n(uint64_t v)                                \
	{                                                                         \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory");          \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)

/* boot.S */
extern uint64_t boot_pml4[512];
extern uint64_t boot_pdpt_low[512];
extern char __kernel_start[], __kernel_end[];

/* multiboot.c: fill info from the loader's magic and info block. */
void multiboot_parse(uint32_t magic, phys_addr_t mbi, struct boot_info *info);
/* directmap.c: map usable RAM above 4 GiB into the direct map. */
void direct_map_extend(const struct boot_info *info);
void x86_wx_init(void); /* wx.c: kernel W^X, after the identity map is gone */
void x86_direct_map_split(const struct boot_info *info); /* kguard.c */
const struct boot_info *x86_boot_info(void); /* boot.c: the memory map */
/* ACPI RSDP copy handed over by multiboot2, or NULL (acpi.c searches). */
void acpi_set_rsdp_hint(const void *rsdp, size_t len);
/* The ACPI table with signature sig (header first), or NULL. */
const void *acpi_find_table(const char sig[4]);

/* serial.c */
void serial_init(void);
void serial_enable_rx_irq(void);
void serial_irq(void);

/* gdt.c / idt.c */
/* Interrupt stack table slots (1-based, as in the IDT gate). */
#define X86_IST_DF 1
#define X86_IST_NMI 2
#define X86_IST_MC 3
#define X86_IST_COUNT 3
void gdt_init(struct x86_cpu *c);
void idt_init(void);
void idt_load(void);

/* apic.c */
void pic_disable(void);
void lapic_init(void);
void lapic_eoi(void);
void lapic_write(unsigned reg, uint32_t v);
uint32_t lapic_read(unsigned reg);
/* Send an IPI: ICR low word low to APIC id apic_id (interrupts off; xAPIC:
 * waits for delivery). */
void lapic_send_icr(uint32_t apic_id, uint32_t low);
/* The local APICs run in x2APIC mode (chosen at the boot CPU's lapic_init). */
extern bool x2apic_mode;
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define ICR_PENDING (1u << 12)
void ioapic_route(unsigned irq, unsigned vector, uint32_t dest_apic_id);
#define LAPIC_TIMER_LVT 0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0

/* dev.c: a device's message arrived on vector vec. */
void x86_msi_interrupt(unsigned vec);

/* timer.c */
void timer_calibrate(void);
void x86_timer_interrupt(void);
/* Report the NMIs counted since the last call (trap.c; the tick calls it). */
void x86_nmi_report(void);
/* mce.c: MCA on for this CPU; #MC; the tick's poll of the banks. */
void x86_mce_cpu_init(void);
void x86_mce_exception(struct trap_frame *tf);
void x86_mce_poll(void);
/* umip.c: a user #GP: report a UMIP-stopped instruction (rate-limited). */
void x86_umip_report(const struct trap_frame *tf);

/* syscall.c */
void syscall_init(void);

/* context.c */
void fpu_init(void);
/* protect.c: SMEP, SMAP, UMIP when the CPU has them (every CPU at boot). */
void x86_protect_init(void);
void x86_protect_cpu_init(void);
extern bool x86_smap_on;

/* trap.c */
void x86_trap(struct trap_frame *tf);

/* entry.S */
extern const uint64_t x86_trap_stubs[256];
void x86_syscall_entry(void);
void x86_ret_to_user(struct trap_frame *tf) __noreturn;
void x86_thread_start(void);
void x86_switch(struct hal_context *prev, struct hal_context *next);
