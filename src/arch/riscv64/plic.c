/*
 * The PLIC (riscv,plic0): routes device interrupts to this hart's S-mode
 * context, to the UART or the handler a driver attached (hal_irq_attach).
 * Device interrupts go to the boot hart's context; every other hart's
 * S-mode context gets threshold 0 and nothing enabled (plic_init_hart).
 * Locking: set up once at boot; claim/complete are per-context registers.
 */
#include <ferrite/errno.h>
#include <hal/hal_dev.h>
#include <hal/hal_mmu.h>
#include "riscv.h"

#define PLIC_PRIORITY(irq) (4 * (irq))
#define PLIC_ENABLE(ctx) (0x2000 + 0x80 * (ctx))
#define PLIC_THRESHOLD(ctx) (0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx) (0x200004 + 0x1000 * (ctx))

#define PLIC_MAX_IRQ 128 /* QEMU virt has 96 sources */

static volatile uint8_t *plic_regs;
static unsigned plic_ctx;
/* Drivers' handlers by source (hal_irq_attach), written at boot before
 * the source is enabled, read by plic_handle. */
static struct {
	hal_irq_fn fn;
	void *arg;
} plic_handlers[PLIC_MAX_IRQ];

static inline volatile uint32_t *plic_reg(unsigned long off)
{
	return (volatile uint32_t *)(plic_regs + off);
}

/* QEMU virt numbers contexts M0, S0, M1, S1, ...: S-mode of hart h is 2h+1. */
void plic_init(unsigned hartid)
{
	if (!rv_devices.plic_base)
		return;
	plic_regs = phys_to_virt(rv_devices.plic_base);
	plic_ctx = 2 * hartid + 1;
	*plic_reg(PLIC_THRESHOLD(plic_ctx)) = 0;
}

/* A secondary hart: its own S context, with no source enabled. */
void plic_init_hart(unsigned hartid)
{
	unsigned ctx = 2 * hartid + 1;

	if (!plic_regs)
		return;
	for (unsigned w = 0; w < PLIC_MAX_IRQ / 32; w++)
		*plic_reg(PLIC_ENABLE(ctx) + 4 * w) = 0;
	*plic_reg(PLIC_THRESHOLD(ctx)) = 0;
}

void plic_enable(unsigned irq)
{
	if (!plic_regs || !irq)
		return;
	*plic_reg(PLIC_PRIORITY(irq)) = 1;
	*plic_reg(PLIC_ENABLE(plic_ctx) + 4 * (irq / 32)) |= 1u << (irq % 32);
}

void plic_handle(void)
{
	uint32_t irq;

	if (!plic_regs)
		return;
	while ((irq = *plic_reg(PLIC_CLAIM(plic_ctx))) != 0) {
		if (irq == rv_devices.uart_irq)
			uart_interrupt();
		else if (irq < PLIC_MAX_IRQ && plic_handlers[irq].fn)
			plic_handlers[irq].fn(plic_handlers[irq].arg);
		*plic_reg(PLIC_CLAIM(plic_ctx)) = irq;
	}
}

int hal_irq_attach(unsigned irq, hal_irq_fn fn, void *arg)
{
	if (!plic_regs || !irq || irq >= PLIC_MAX_IRQ || irq == rv_devices.uart_irq)
		return -ENODEV;
	if (plic_handlers[irq].fn)
		return -EBUSY;
	plic_handlers[irq].arg = arg;
	plic_handlers[irq].fn = fn;
	plic_enable(irq);
	return 0;
}
