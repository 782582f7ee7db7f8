/*
 * hal_arch_init: the interrupt side of the boot, once kmain has the frame
 * allocator (GDT, IDT, FPU and SYSCALL were set up before kmain, in
 * x86_boot_main, so early faults are reported). Boot CPU only.
 */
#include <hal/hal_boot.h>
#include "x86.h"

void hal_arch_init(void)
{
	x86_direct_map_split(x86_boot_info()); /* stack guards: before any task */
	pic_disable();
	lapic_init();
	ioapic_route(COM1_IRQ, VEC_COM1, this_x86_cpu()->lapic_id);
	serial_enable_rx_irq();
}
