/* HAL: the boot console (16550 UART on both architectures). */
#pragma once
#include <ferrite/types.h>

void hal_console_putc(char c);
/* Return the next received byte, or -1 when none is waiting. */
int hal_console_getc(void);

/*
 * The arch's UART interrupt handler calls this (portable, src/fs/console.c)
 * for every received byte.
 */
void console_rx_interrupt(char c);
