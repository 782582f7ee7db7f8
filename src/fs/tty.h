/*
 * Private to src/fs: the console tty (one instance). tty_ldisc.c is the
 * line discipline fed from the UART interrupt; tty.c the file operations.
 * Lock: tty->lock (always irqsave: the receive interrupt takes it).
 */
#pragma once
#include <ferrite/vfs.h>
#include <ferrite/waitqueue.h>
#include <uapi/termios.h>

#define TTY_BUF 4096   /* power of two */
#define TTY_LINE 1024
#define TTY_BOUNDS 64

struct tty {
	struct spinlock lock;
	struct termios termios;  /* Lock: lock */
	struct winsize winsize;  /* Lock: lock */
	pid_t fg_pgrp, session;  /* Lock: lock */
	/* Committed input: bytes [rpos, wpos) of a ring, counted in absolute
	 * positions. In canonical mode bound[] holds where lines end (a
	 * boundary equal to the previous one is an end-of-file). */
	char buf[TTY_BUF];       /* Lock: lock */
	uint64_t rpos, wpos;     /* Lock: lock (read racily as wake hints) */
	uint64_t bound[TTY_BOUNDS];
	unsigned nbound, bhead;  /* Lock: lock */
	/* The line being edited (canonical mode). */
	char line[TTY_LINE];     /* Lock: lock */
	size_t line_len;         /* Lock: lock */
	struct waitqueue readq;
	struct spinlock out_lock; /* keeps one write's bytes together */
};

extern struct tty console_tty;

void tty_init(struct tty *t);
/* Feed one received byte. Interrupt context; takes t->lock irqsave. */
void tty_receive(struct tty *t, char c);
/* True when a read would not block. Caller holds t->lock. */
bool tty_readable_locked(struct tty *t);
/* Move up to n input bytes into dst. Return the count; 0 with *eof set
 * for an end-of-file. Caller holds t->lock. */
size_t tty_take_locked(struct tty *t, char *dst, size_t n, bool *eof);
/* Output one byte with OPOST/ONLCR processing. */
void tty_put_output(struct tty *t, char c);
