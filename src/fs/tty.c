/*
 * The console tty as a file: read (blocking on the wait queue, canonical
 * or raw with basic VMIN/VTIME), write with output processing, and the
 * terminal ioctls. Lock: console_tty.lock (irqsave), never held while
 * copying to or from user memory.
 */
#include <ferrite/vfs.h>
#include <ferrite/poll.h>
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include <hal/hal_console.h>
#include <hal/hal_timer.h>
#include "tty.h"
#include "fs_internal.h"

struct tty console_tty;

/* Without a receive interrupt the UART is polled this often while a reader
 * waits; with one, the poll finds nothing and costs little. */
#define TTY_POLL_NS 20000000ull

/* Held while bytes move from the UART to the console tty: with several
 * CPUs the receive interrupt (boot CPU) and a reader polling elsewhere
 * would both see "data ready", and a byte could be lost or overtake the
 * one before it. Taken before the tty's lock; echo takes only the UART's
 * output lock. */
static struct spinlock console_rx_lock = SPINLOCK_INIT("console_rx");

void console_rx_drain(void)
{
	unsigned long flags = spin_lock_irqsave(&console_rx_lock);
	int c;

	while ((c = hal_console_getc()) >= 0)
		tty_receive(&console_tty, (char)c);
	spin_unlock_irqrestore(&console_rx_lock, flags);
}

static void poll_uart(struct tty *t)
{
	(void)t; /* the console tty is the only one with a UART */
	console_rx_drain();
}

static bool readable(struct tty *t)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	bool r = tty_readable_locked(t);
	spin_unlock_irqrestore(&t->lock, flags);
	return r;
}

static ssize_t tty_read(struct file *f, const struct iobuf *b, off_t *pos)
{
	struct tty *t = &console_tty;
	char chunk[256];
	size_t n = MIN(b->len, sizeof(chunk));
	uint64_t deadline = 0;
	unsigned long flags;
	size_t got;
	bool eof, canon;
	unsigned vmin, vtime;

	if (!b->len)
		return 0;
	flags = spin_lock_irqsave(&t->lock);
	canon = t->termios.c_lflag & ICANON;
	vmin = t->termios.c_cc[VMIN];
	vtime = t->termios.c_cc[VTIME];
	spin_unlock_irqrestore(&t->lock, flags);
	if (!canon && vtime)
		deadline = hal_time_ns() + vtime * 100000000ull;
	for (;;) {
		long err;
		uint64_t step;

		poll_uart(t);
		if (readable(t))
			break;
		if (READ_ONCE(f->flags) & O_NONBLOCK)
			return -EAGAIN;
		if (!canon && !vmin && !vtime)
			return 0;
		if (deadline && hal_time_ns() >= deadline)
			return 0;
		step = hal_time_ns() + TTY_POLL_NS;
		if (deadline && step > deadline)
			step = deadline;
		err = wait_event_timeout_interruptible(&t->readq, readable(t), step);
		if (err == -ERESTARTSYS)
			return err;
	}
	flags = spin_lock_irqsave(&t->lock);
	got = tty_take_locked(t, chunk, n, &eof);
	spin_unlock_irqrestore(&t->lock, flags);
	if (got && iobuf_copy_to(b, 0, chunk, got))
		return -EFAULT;
	return (ssize_t)got;
}

static ssize_t tty_write(struct file *f, const struct iobuf *b, off_t *pos)
{
	struct tty *t = &console_tty;
	char chunk[256];
	size_t done = 0;

	while (done < b->len) {
		size_t n = MIN(sizeof(chunk), b->len - done);
		if (iobuf_copy_from(chunk, b, done, n))
			return done ? (ssize_t)done : -EFAULT;
		scoped_guard(spinlock, &t->out_lock) {
			for (size_t i = 0; i < n; i++)
				tty_put_output(t, chunk[i]);
		}
		done += n;
	}
	return (ssize_t)done;
}

static unsigned tty_poll(struct file *f, struct poll_table *pt)
{
	poll_wait(&console_tty.readq, pt);
	poll_uart(&console_tty);
	return (readable(&console_tty) ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM;
}

static pid_t current_pgid(void)
{
	struct task *t = current;
	return t && t->proc ? t->proc->pgid : 0;
}

static long tty_ioctl(struct file *f, unsigned cmd, unsigned long arg)
{
	struct tty *t = &console_tty;
	void __user *up = (void __user *)arg;
	unsigned long flags;

	switch (cmd) {
	case TCGETS: {
		struct termios tio;
		flags = spin_lock_irqsave(&t->lock);
		tio = t->termios;
		spin_unlock_irqrestore(&t->lock, flags);
		return copy_to_user(up, &tio, sizeof(tio)) ? -EFAULT : 0;
	}
	case TCSETS:
	case TCSETSW:
	case TCSETSF: {
		struct termios tio;
		if (copy_from_user(&tio, up, sizeof(tio)))
			return -EFAULT;
		flags = spin_lock_irqsave(&t->lock);
		if ((t->termios.c_lflag & ICANON) && !(tio.c_lflag & ICANON) && t->line_len) {
			/* Leaving canonical mode: the partial line becomes input. */
			for (size_t i = 0; i < t->line_len && t->wpos - t->rpos < TTY_BUF; i++)
				t->buf[t->wpos++ % TTY_BUF] = t->line[i];
			t->line_len = 0;
		}
		if (cmd == TCSETSF) {
			t->rpos = t->wpos;
			t->nbound = 0;
			t->line_len = 0;
		}
		t->termios = tio;
		spin_unlock_irqrestore(&t->lock, flags);
		wake_up_all(&t->readq);
		return 0;
	}
	case TCFLSH:
		flags = spin_lock_irqsave(&t->lock);
		if (arg == 0 || arg == 2) { /* TCIFLUSH, TCIOFLUSH */
			t->rpos = t->wpos;
			t->nbound = 0;
			t->line_len = 0;
		}
		spin_unlock_irqrestore(&t->lock, flags);
		return 0;
	case TIOCGWINSZ: {
		struct winsize ws;
		flags = spin_lock_irqsave(&t->lock);
		ws = t->winsize;
		spin_unlock_irqrestore(&t->lock, flags);
		return copy_to_user(up, &ws, sizeof(ws)) ? -EFAULT : 0;
	}
	case TIOCSWINSZ: {
		struct winsize ws;
		if (copy_from_user(&ws, up, sizeof(ws)))
			return -EFAULT;
		flags = spin_lock_irqsave(&t->lock);
		t->winsize = ws;
		spin_unlock_irqrestore(&t->lock, flags);
		return 0;
	}
	case TIOCGPGRP: {
		int pg;
		flags = spin_lock_irqsave(&t->lock);
		pg = t->fg_pgrp;
		spin_unlock_irqrestore(&t->lock, flags);
		if (!pg)
			pg = current_pgid();
		return put_user(pg, (int __user *)up) ? -EFAULT : 0;
	}
	case TIOCSPGRP: {
		int pg;
		if (get_user(pg, (int __user *)up))
			return -EFAULT;
		if (pg < 0)
			return -EINVAL;
		flags = spin_lock_irqsave(&t->lock);
		t->fg_pgrp = pg;
		spin_unlock_irqrestore(&t->lock, flags);
		return 0;
	}
	case TIOCGSID: {
		int sid;
		flags = spin_lock_irqsave(&t->lock);
		sid = t->session;
		spin_unlock_irqrestore(&t->lock, flags);
		if (!sid) {
			struct task *cur = current;
			sid = cur && cur->proc ? cur->proc->sid : 0;
		}
		return put_user(sid, (int __user *)up) ? -EFAULT : 0;
	}
	case TIOCSCTTY: {
		struct task *cur = current;
		flags = spin_lock_irqsave(&t->lock);
		if (cur && cur->proc) {
			t->session = cur->proc->sid;
			t->fg_pgrp = cur->proc->pgid;
		}
		spin_unlock_irqrestore(&t->lock, flags);
		return 0;
	}
	case TIOCNOTTY:
		return 0;
	case FIONREAD: {
		int n;
		flags = spin_lock_irqsave(&t->lock);
		n = (int)(t->wpos - t->rpos);
		spin_unlock_irqrestore(&t->lock, flags);
		return put_user(n, (int __user *)up) ? -EFAULT : 0;
	}
	default:
		return -ENOTTY;
	}
}

pid_t tty_console_fg_pgrp(void)
{
	return READ_ONCE(console_tty.fg_pgrp);
}

static const struct file_ops tty_fops = {
	.read = tty_read,
	.write = tty_write,
	.ioctl = tty_ioctl,
	.poll = tty_poll,
};

void tty_register(void)
{
	tty_init(&console_tty);
	chrdev_register(MKDEV(5, 0), &tty_fops);  /* /dev/tty */
	chrdev_register(MKDEV(5, 1), &tty_fops);  /* /dev/console */
	chrdev_register(MKDEV(4, 0), &tty_fops);  /* /dev/tty0 */
	chrdev_register(MKDEV(4, 64), &tty_fops); /* /dev/ttyS0 */
}

void console_init(void)
{
	/* The arch enables the UART receive interrupt in hal_arch_init();
	 * drain whatever arrived before that. */
	poll_uart(&console_tty);
}
