/*
 * The console line discipline: canonical editing (erase, kill, EOF, ICRNL),
 * echo, raw mode, and output post-processing. Input arrives from the UART
 * interrupt, so everything here runs with t->lock held irqsave, never
 * sleeps, and wakes readers after the lock is dropped.
 */
#include <ferrite/vfs.h>
#include <ferrite/string.h>
#include <hal/hal_console.h>
#include "tty.h"
#include "fs_internal.h"

/* The signals issue sets this to deliver ISIG characters (^C, ^\, ^Z). */
void (*tty_isig_hook)(pid_t pgrp, int sig);

static const cc_t default_cc[NCCS] = {
	[VINTR] = 3, [VQUIT] = 28, [VERASE] = 127, [VKILL] = 21, [VEOF] = 4,
	[VTIME] = 0, [VMIN] = 1, [VSTART] = 17, [VSTOP] = 19, [VSUSP] = 26,
	[VREPRINT] = 18, [VDISCARD] = 15, [VWERASE] = 23, [VLNEXT] = 22,
};

void tty_init(struct tty *t)
{
	memset(t, 0, sizeof(*t));
	spin_init(&t->lock, "tty");
	spin_init(&t->out_lock, "tty_out");
	waitqueue_init(&t->readq);
	t->termios.c_iflag = ICRNL | IXON | IUTF8;
	t->termios.c_oflag = OPOST | ONLCR;
	t->termios.c_cflag = B38400 | CS8 | CREAD | HUPCL;
	t->termios.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	memcpy(t->termios.c_cc, default_cc, sizeof(default_cc));
	t->winsize.ws_row = 24;
	t->winsize.ws_col = 80;
}

void tty_put_output(struct tty *t, char c)
{
	if ((t->termios.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR) && c == '\n')
		hal_console_putc('\r');
	hal_console_putc(c);
}

static void echo(struct tty *t, char c)
{
	if (!(t->termios.c_lflag & ECHO)) {
		if (c == '\n' && (t->termios.c_lflag & ECHONL))
			tty_put_output(t, c);
		return;
	}
	if ((t->termios.c_lflag & ECHOCTL) && (unsigned char)c < 32 && c != '\n' && c != '\t') {
		tty_put_output(t, '^');
		tty_put_output(t, (char)(c + '@'));
		return;
	}
	tty_put_output(t, c);
}

static size_t room(struct tty *t)
{
	return TTY_BUF - (size_t)(t->wpos - t->rpos);
}

static void push_byte(struct tty *t, char c)
{
	if (room(t))
		t->buf[t->wpos++ % TTY_BUF] = c;
}

/* Commit the edited line (and an end-of-line boundary). */
static void commit_line(struct tty *t)
{
	for (size_t i = 0; i < t->line_len; i++)
		push_byte(t, t->line[i]);
	t->line_len = 0;
	if (t->nbound < TTY_BOUNDS) {
		t->bound[(t->bhead + t->nbound) % TTY_BOUNDS] = t->wpos;
		t->nbound++;
	}
}

/* Return the signal to raise for c, or 0. */
static int isig_char(struct tty *t, char c)
{
	const cc_t *cc = t->termios.c_cc;

	if (!(t->termios.c_lflag & ISIG) || !c)
		return 0;
	if (c == (char)cc[VINTR])
		return 2; /* SIGINT */
	if (c == (char)cc[VQUIT])
		return 3; /* SIGQUIT */
	if (c == (char)cc[VSUSP])
		return 20; /* SIGTSTP */
	return 0;
}

static void erase_one(struct tty *t)
{
	if (!t->line_len)
		return;
	t->line_len--;
	if ((t->termios.c_lflag & (ECHO | ECHOE)) == (ECHO | ECHOE)) {
		hal_console_putc('\b');
		hal_console_putc(' ');
		hal_console_putc('\b');
	}
}

/* One byte of input; returns the signal to deliver, 0 for none. */
static int receive_locked(struct tty *t, char c)
{
	const struct termios *tio = &t->termios;
	const cc_t *cc = tio->c_cc;
	int sig;

	if (c == '\r') {
		if (tio->c_iflag & IGNCR)
			return 0;
		if (tio->c_iflag & ICRNL)
			c = '\n';
	} else if (c == '\n' && (tio->c_iflag & INLCR)) {
		c = '\r';
	}
	sig = isig_char(t, c);
	if (sig) {
		echo(t, c);
		t->line_len = 0;
		return sig;
	}
	if (!(tio->c_lflag & ICANON)) {
		push_byte(t, c);
		echo(t, c);
		return 0;
	}
	if (c == (char)cc[VERASE] || c == '\b') {
		erase_one(t);
		return 0;
	}
	if (c == (char)cc[VKILL]) {
		while (t->line_len)
			erase_one(t);
		return 0;
	}
	if (c == (char)cc[VEOF]) {
		commit_line(t); /* at line start this is an end-of-file */
		return 0;
	}
	if (c == '\n' || (cc[VEOL] && c == (char)cc[VEOL])) {
		if (t->line_len < TTY_LINE)
			t->line[t->line_len++] = c;
		echo(t, c);
		commit_line(t);
		return 0;
	}
	if (t->line_len < TTY_LINE - 1) { /* keep room for the newline */
		t->line[t->line_len++] = c;
		echo(t, c);
	}
	return 0;
}

void tty_receive(struct tty *t, char c)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	int sig = receive_locked(t, c);
	pid_t pgrp = t->fg_pgrp;
	spin_unlock_irqrestore(&t->lock, flags);

	if (sig && pgrp && tty_isig_hook)
		tty_isig_hook(pgrp, sig);
	wake_up_all(&t->readq);
}

bool tty_readable_locked(struct tty *t)
{
	if (t->termios.c_lflag & ICANON)
		return t->nbound > 0;
	return t->wpos != t->rpos;
}

size_t tty_take_locked(struct tty *t, char *dst, size_t n, bool *eof)
{
	uint64_t limit = t->wpos;
	size_t got = 0;
	bool canon = t->termios.c_lflag & ICANON;

	*eof = false;
	if (canon && t->nbound) {
		limit = t->bound[t->bhead];
		if (limit == t->rpos) { /* an end-of-file mark */
			t->bhead = (t->bhead + 1) % TTY_BOUNDS;
			t->nbound--;
			*eof = true;
			return 0;
		}
	}
	while (got < n && t->rpos < limit)
		dst[got++] = t->buf[t->rpos++ % TTY_BUF];
	/* Drop the boundaries we have read past. */
	while (t->nbound && t->bound[t->bhead] <= t->rpos && (t->bound[t->bhead] < t->rpos || got)) {
		t->bhead = (t->bhead + 1) % TTY_BOUNDS;
		t->nbound--;
		if (canon)
			break;
	}
	return got;
}
