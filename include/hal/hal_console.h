/* HAL: the boot console (16550 UART on both architectures). */
#pragma once
#include <ferrite/types.h>

void hal_console_putc(char c);
/* Return the next received byte, or -1 when none is waiting. */
int hal_console_getc(void);

/*
 * The arch's UART interrupt handler calls this (portable, src/fs/tty.c):
 * it reads every waiting byte through hal_console_getc() and hands each to
 * the console tty, one reader at a time (an interrupt on one CPU and a
 * polling reader on another must not both take bytes from the FIFO).
 */
void console_rx_drain(void);
