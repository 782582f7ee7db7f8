/*
 * Private riscv64 definitions: CSR access, bit names, SBI calls and the
 * per-CPU arch block. Only src/arch/riscv64 includes this.
 */
#pragma once
#include <ferrite/types.h>

struct cpu;
struct trap_frame;

#define csr_read(csr)                                                  \
	({                                                             \
		unsigned long __v;                                     \
		__asm__ volatile("csrr %0, " #csr : "=r"(__v)::"memory"); \
		__v;                                                   \
	})
#define csr_write(csr, val) __asm__ volatile("csrw " #csr ", %0" ::"rK"(val) : "memory")
#define csr_set(csr, val) __asm__ volatile("csrs " #csr ", %0" ::"rK"(val) : "memory")
#define csr_clear(csr, val) __asm__ volatile("csrc " #csr ", %0" ::"rK"(val) : "memory")

#define SSTATUS_SIE (1UL << 1)
#define SSTATUS_SPIE (1UL << 5)
#define SSTATUS_SPP (1UL << 8)
#define SSTATUS_FS (3UL << 13)
#define SSTATUS_FS_INITIAL (1UL << 13)
#define SSTATUS_FS_CLEAN (2UL << 13)
#define SSTATUS_FS_DIRTY (3UL << 13)
#define SSTATUS_SUM (1UL << 18)

#define SIE_SSIE (1UL << 1)
#define SIE_STIE (1UL << 5)
#define SIE_SEIE (1UL << 9)

#define SCAUSE_INTR (1UL << 63)
#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT 9

enum rv_exception {
	EXC_INST_MISALIGNED = 0,
	EXC_INST_ACCESS = 1,
	EXC_ILLEGAL_INST = 2,
	EXC_BREAKPOINT = 3,
	EXC_LOAD_MISALIGNED = 4,
	EXC_LOAD_ACCESS = 5,
	EXC_STORE_MISALIGNED = 6,
	EXC_STORE_ACCESS = 7,
	EXC_ECALL_U = 8,
	EXC_INST_PAGE_FAULT = 12,
	EXC_LOAD_PAGE_FAULT = 13,
	EXC_STORE_PAGE_FAULT = 15,
};

/* Virtual layout (Sv39). */
#define KERNEL_VIRT_BASE 0xffffffff80000000UL /* + (pa - load_pa + 2 MiB) */
#define DIRECT_MAP_BASE 0xffffffc000000000UL
#define DIRECT_MAP_GIB 64

/*
 * Per-CPU arch block. While a CPU runs user code, sscratch points at its
 * block; in the kernel sscratch is 0 and tp is the struct cpu *.
 * The trap entry assembly uses the RVCPU_* offsets.
 */
struct rv_cpu {
	uintptr_t kstack_top; /* where the next user trap saves its frame */
	uintptr_t scratch;    /* user sp while the entry code switches stacks */
	struct cpu *cpu;      /* loaded into tp on a user trap */
	unsigned long hartid;
	/* The trap frame whose FP registers this CPU's FP registers hold: set
	 * when rv_user_return loads them; trap.S's short syscall exit skips
	 * the reload when it is the returning task's. Only this CPU. */
	const struct trap_frame *fp_owner;
	uint64_t next_deadline; /* the tick's next time CSR value (timer.c) */
};
#define RVCPU_KSTACK_TOP 0
#define RVCPU_SCRATCH 8
#define RVCPU_CPU 16
#define RVCPU_FP_OWNER 32

struct rv_cpu *rv_cpu_this(void);
void rv_cpu_set_hartid(unsigned id, unsigned long hartid);
unsigned long rv_hartid_of(unsigned id);
void rv_ipi_interrupt(void);
extern unsigned long rv_boot_hartid;

/* SBI (sbi.c). */
struct sbiret {
	long error;
	long value;
};
struct sbiret sbi_call(long ext, long fid, unsigned long a0, unsigned long a1,
		       unsigned long a2);
bool sbi_probe(long ext);
void sbi_set_timer(uint64_t when);
void sbi_console_putc(char c);

/* Devices found in the FDT (boot.c), physical addresses, 0 when absent. */
#define RV_MAX_VIRTIO 32
struct rv_devices {
	phys_addr_t uart_base;
	unsigned uart_irq;
	unsigned uart_reg_shift;
	phys_addr_t plic_base;
	phys_addr_t rtc_base;
	uint64_t timebase_hz;
	/* "virtio,mmio" nodes, in FDT order (dev.c sorts them). */
	struct rv_virtio_slot {
		phys_addr_t base;
		uint64_t size;
		unsigned irq;
	} virtio[RV_MAX_VIRTIO];
	int nr_virtio;
	/* Hart ids of the enabled /cpus/cpu@N nodes, in FDT order. */
#define RV_MAX_HARTS 8
	unsigned long harts[RV_MAX_HARTS];
	int nr_harts;
};
extern struct rv_devices rv_devices;

/* hwprobe.c: the ISA of one hart from the device tree ("riscv,isa"
 * string, or the "riscv,isa-extensions" list); called by fdt_parse. */
void rv_isa_note(const char *val, uint32_t len, bool is_list);

void uart_early_init(phys_addr_t base, unsigned reg_shift);
void uart_enable_rx_irq(void);
void uart_interrupt(void);
void plic_init(unsigned hartid);
void plic_init_hart(unsigned hartid);
void plic_enable(unsigned irq);
void plic_handle(void);
void timer_interrupt(void);
void rv_rtc_init(void);

/* Assembly (trap.S, head.S). */
void rv_trap_vector(void);
void rv_user_return(struct trap_frame *tf, struct rv_cpu *rvcpu) __noreturn;
void rv_kthread_start(void);
struct hal_context;
void rv_context_switch(struct hal_context *prev, struct hal_context *next);
void rv_secondary_entry(void);
void rv_wx_init(void); /* wx.c: kernel W^X, on the boot hart before kmain */
bool rv_wx_violation(unsigned long scause, uintptr_t addr);
struct boot_info;
struct trap_frame;
void rv_direct_map_split(const struct boot_info *info);
bool rv_kernel_spurious_fault(unsigned long scause, uintptr_t addr);
void rv_emergency_check(struct trap_frame *tf);
#define RV_EMERGENCY_STACK_SIZE 8192 /* trap.S: RV_EMERGENCY_SHIFT */

/* Boot page tables (early.c): kernel root, physical address. */
extern uint64_t rv_kernel_root[512];
extern phys_addr_t rv_kernel_root_pa;
extern phys_addr_t rv_kernel_load_pa;
