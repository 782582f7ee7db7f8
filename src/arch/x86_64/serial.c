/*
 * COM1 16550 console: polled transmit, interrupt-driven receive (IRQ 4
 * through the IOAPIC). Works from the first line of x86_boot_main.
 * Transmit is not locked: callers (kprintf) serialise whole messages; a
 * byte is the unit the UART guarantees.
 */
#include <hal/hal_console.h>
#include "x86.h"

#define COM1 0x3f8
#define UART_DATA 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_RX_READY 0x01
#define LSR_TX_EMPTY 0x20

static char last_tx;

void serial_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, 0x80); /* divisor latch */
	outb(COM1 + UART_DATA, 1);   /* 115200 baud */
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, 0x03); /* 8N1 */
	outb(COM1 + UART_FCR, 0x07); /* FIFO on, cleared, 1-byte trigger */
	outb(COM1 + UART_MCR, 0x0b); /* DTR, RTS, OUT2 (gates the IRQ line) */
}

void serial_enable_rx_irq(void)
{
	outb(COM1 + UART_IER, 0x01); /* received data available */
}

static void tx(char c)
{
	while (!(inb(COM1 + UART_LSR) & LSR_TX_EMPTY))
		__asm__ volatile("pause");
	outb(COM1 + UART_DATA, (uint8_t)c);
}

/* A terminal wants CR LF; a caller that already sent CR gets no second. */
void hal_console_putc(char c)
{
	if (c == '\n' && last_tx != '\r')
		tx('\r');
	tx(c);
	last_tx = c;
}

int hal_console_getc(void)
{
	if (!(inb(COM1 + UART_LSR) & LSR_RX_READY))
		return -1;
	return inb(COM1 + UART_DATA);
}

/* IRQ 4: hand every waiting byte to the console layer. */
void serial_irq(void)
{
	console_rx_drain();
}
