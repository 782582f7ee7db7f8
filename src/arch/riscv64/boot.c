/*
 * riscv64 boot, first code at the link address (from head.S): read the
 * FDT, bring up the console, describe memory in a boot_info and enter the
 * portable kmain(). Also hal_arch_init(), which kmain calls once the
 * allocators work. Runs on the boot hart only; no locking.
 */
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <hal/hal_boot.h>
#include <hal/hal_cpu.h>
#include <hal/hal_mmu.h>
#include "fdt.h"
#include "riscv.h"

extern char __kernel_start[], __kernel_end[];

struct rv_devices rv_devices;
static struct boot_info boot_info;

/* OpenSBI lives in the first 2 MiB of RAM (below 0x80200000 on QEMU). */
#define FIRMWARE_SIZE 0x200000UL

static void reserve(struct boot_info *info, phys_addr_t base, uint64_t size)
{
	if (!size)
		return;
	if (info->nr_reserved >= BOOT_MAX_REGIONS)
		panic("boot: too many reserved regions");
	info->reserved[info->nr_reserved++] = (struct mem_region){ base, size };
}

static void print_boot_info(const struct boot_info *info, phys_addr_t fdt_pa)
{
	pr_info("riscv64: boot hart %lu, FDT at %llx, kernel at %llx\n", rv_boot_hartid,
		(unsigned long long)fdt_pa, (unsigned long long)rv_kernel_load_pa);
	for (int i = 0; i < info->nr_usable; i++)
		pr_info("  ram      %llx-%llx\n", (unsigned long long)info->usable[i].base,
			(unsigned long long)(info->usable[i].base + info->usable[i].size));
	for (int i = 0; i < info->nr_reserved; i++)
		pr_info("  reserved %llx-%llx\n", (unsigned long long)info->reserved[i].base,
			(unsigned long long)(info->reserved[i].base + info->reserved[i].size));
	if (info->initrd_start)
		pr_info("  initrd   %llx-%llx\n", (unsigned long long)info->initrd_start,
			(unsigned long long)info->initrd_end);
	pr_info("  uart %llx irq %u, plic %llx, rtc %llx, timebase %llu Hz\n",
		(unsigned long long)rv_devices.uart_base, rv_devices.uart_irq,
		(unsigned long long)rv_devices.plic_base, (unsigned long long)rv_devices.rtc_base,
		(unsigned long long)rv_devices.timebase_hz);
}

void boot_main(unsigned long hartid, phys_addr_t fdt_pa) __noreturn;
void boot_main(unsigned long hartid, phys_addr_t fdt_pa)
{
	struct boot_info *info = &boot_info;
	const void *fdt = phys_to_virt(fdt_pa);

	rv_boot_hartid = hartid;
	csr_write(sscratch, 0);
	if (!fdt_pa || !fdt_total_size(fdt) || fdt_parse(fdt, info, &rv_devices))
		panic("boot: no valid device tree at %llx", (unsigned long long)fdt_pa);
	if (rv_devices.uart_base)
		uart_early_init(rv_devices.uart_base, rv_devices.uart_reg_shift);

	if (!info->nr_usable)
		panic("boot: the device tree lists no memory");
	reserve(info, info->usable[0].base, FIRMWARE_SIZE);
	reserve(info, rv_kernel_load_pa, __kernel_end - __kernel_start);
	reserve(info, ALIGN_DOWN(fdt_pa, PAGE_SIZE),
		ALIGN_UP(fdt_pa + fdt_total_size(fdt), PAGE_SIZE) - ALIGN_DOWN(fdt_pa, PAGE_SIZE));
	if (info->initrd_start && info->initrd_end > info->initrd_start)
		reserve(info, ALIGN_DOWN(info->initrd_start, PAGE_SIZE),
			ALIGN_UP(info->initrd_end, PAGE_SIZE) - ALIGN_DOWN(info->initrd_start, PAGE_SIZE));
	else
		info->initrd_start = info->initrd_end = 0;
	print_boot_info(info, fdt_pa);
	rv_wx_init();
	kmain(info);
}

void hal_arch_init(void)
{
	csr_write(stvec, (unsigned long)rv_trap_vector);
	csr_write(sscratch, 0);
	rv_direct_map_split(&boot_info); /* before the first user root copies it */
	plic_init(rv_boot_hartid);
	plic_enable(rv_devices.uart_irq);
	uart_enable_rx_irq();
	rv_rtc_init();
	csr_set(sie, SIE_SEIE | SIE_SSIE); /* the timer joins in hal_timer_start() */
}
