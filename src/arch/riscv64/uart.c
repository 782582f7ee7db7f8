/*
 * The 16550 console UART found in the FDT (ns16550a on QEMU virt). Output
 * polls the transmitter; input arrives by interrupt (PLIC), and
 * console_rx_drain() reads it through hal_console_getc(). Before the UART is known, output goes
 * through the SBI legacy console.
 * Locking: uart_lock keeps concurrent writers' bytes from mixing in the
 * register handshake; the receive side is serialised by console_rx_drain.
 */
#include <ferrite/spinlock.h>
#include <hal/hal_console.h>
#include <hal/hal_mmu.h>
#include "riscv.h"

#define UART_RBR 0 /* receive buffer (read) */
#define UART_THR 0 /* transmit holding (write) */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DR 0x01
#define LSR_THRE 0x20

static volatile uint8_t *uart_regs;
static unsigned uart_shift;
static struct spinlock uart_lock = SPINLOCK_INIT("uart");

static inline uint8_t uart_read(unsigned reg)
{
	return uart_regs[reg << uart_shift];
}

static inline void uart_write(unsigned reg, uint8_t v)
{
	uart_regs[reg << uart_shift] = v;
}

void uart_early_init(phys_addr_t base, unsigned reg_shift)
{
	uart_shift = reg_shift;
	uart_regs = phys_to_virt(base);
	uart_write(UART_IER, 0);
	uart_write(UART_LCR, 0x03);	/* 8N1, keep the firmware's baud rate */
	uart_write(UART_FCR, 0x07);	/* FIFOs on and cleared */
	uart_write(UART_MCR, 0x0b);	/* DTR, RTS, OUT2 (IRQ line) */
}

void uart_enable_rx_irq(void)
{
	if (uart_regs)
		uart_write(UART_IER, 0x01); /* received data available */
}

void hal_console_putc(char c)
{
	if (!uart_regs) {
		sbi_console_putc(c);
		return;
	}
	unsigned long flags = spin_lock_irqsave(&uart_lock);
	while (!(uart_read(UART_LSR) & LSR_THRE))
		;
	uart_write(UART_THR, (uint8_t)c);
	spin_unlock_irqrestore(&uart_lock, flags);
}

int hal_console_getc(void)
{
	if (!uart_regs || !(uart_read(UART_LSR) & LSR_DR))
		return -1;
	return uart_read(UART_RBR);
}

void uart_interrupt(void)
{
	console_rx_drain();
}
