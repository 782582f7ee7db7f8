/*
 * syslog(2) (glibc's klogctl): read and control the kernel log ring of
 * src/lib/klog.c with Linux's actions and errnos, so busybox dmesg works.
 * Records are copied into a kernel buffer under the ring's lock, then to
 * user memory with no lock held. SYSLOG_ACTION_READ sleeps until the log
 * has unread bytes: printk cannot wake a sleeper (it runs in any context,
 * the scheduler's included), so the reader looks again every KLOG_POLL_NS.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/klog.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include <ferrite/uaccess.h>
#include <ferrite/waitqueue.h>
#include <hal/hal_timer.h>

enum {
	SYSLOG_ACTION_CLOSE,
	SYSLOG_ACTION_OPEN,
	SYSLOG_ACTION_READ,
	SYSLOG_ACTION_READ_ALL,
	SYSLOG_ACTION_READ_CLEAR,
	SYSLOG_ACTION_CLEAR,
	SYSLOG_ACTION_CONSOLE_OFF,
	SYSLOG_ACTION_CONSOLE_ON,
	SYSLOG_ACTION_CONSOLE_LEVEL,
	SYSLOG_ACTION_SIZE_UNREAD,
	SYSLOG_ACTION_SIZE_BUFFER,
};

#define KLOG_POLL_NS 20000000ull

static struct waitqueue klog_readers = WAITQUEUE_INIT(klog_readers);

/* Linux with kernel.dmesg_restrict = 0: anyone may read the whole log or
 * ask its size; everything else needs root (CAP_SYSLOG). */
static bool syslog_allowed(int type)
{
	struct task *t = current;

	if (type == SYSLOG_ACTION_READ_ALL || type == SYSLOG_ACTION_SIZE_BUFFER ||
	    type == SYSLOG_ACTION_CLOSE || type == SYSLOG_ACTION_OPEN)
		return true;
	return !t || !t->proc || READ_ONCE(t->proc->euid) == 0;
}

/* Copy what fill() puts in a len-byte kernel buffer to ubuf. */
static long read_out(char __user *ubuf, int len, int type)
{
	size_t cap = MIN((size_t)len, (size_t)KLOG_BUF_LEN);
	__free(kfree) char *buf = kmalloc(cap);
	size_t n;

	if (!buf)
		return -ENOMEM;
	if (type == SYSLOG_ACTION_READ) {
		for (;;) {
			long err = wait_event_timeout_interruptible(&klog_readers, klog_unread() > 0,
								    hal_time_ns() + KLOG_POLL_NS);
			if (err && err != -ETIMEDOUT)
				return err;
			if (klog_unread())
				break;
		}
		n = klog_read(buf, cap);
	} else {
		n = klog_read_all(buf, cap, type == SYSLOG_ACTION_READ_CLEAR);
	}
	return copy_to_user(ubuf, buf, n) ? -EFAULT : (long)n;
}

long sys_syslog(int type, char __user *ubuf, int len)
{
	/* Linux's order: the permission first, so a bad type from a user
	 * without the right is EPERM. */
	if (!syslog_allowed(type))
		return -EPERM;
	if (type < SYSLOG_ACTION_CLOSE || type > SYSLOG_ACTION_SIZE_BUFFER)
		return -EINVAL;
	switch (type) {
	case SYSLOG_ACTION_CLOSE:
	case SYSLOG_ACTION_OPEN:
		return 0;
	case SYSLOG_ACTION_READ:
	case SYSLOG_ACTION_READ_ALL:
	case SYSLOG_ACTION_READ_CLEAR:
		if (!ubuf || len < 0)
			return -EINVAL;
		if (!len)
			return 0;
		return read_out(ubuf, len, type);
	case SYSLOG_ACTION_CLEAR:
		klog_clear();
		return 0;
	case SYSLOG_ACTION_CONSOLE_OFF:
		klog_console_off();
		return 0;
	case SYSLOG_ACTION_CONSOLE_ON:
		klog_console_on();
		return 0;
	case SYSLOG_ACTION_CONSOLE_LEVEL:
		if (len < 1 || len > 8)
			return -EINVAL;
		klog_console_level(len);
		return 0;
	case SYSLOG_ACTION_SIZE_UNREAD:
		return (long)klog_unread();
	default: /* SYSLOG_ACTION_SIZE_BUFFER */
		return KLOG_BUF_LEN;
	}
}
