/*
 * Settings under /proc/sys, and /proc/sysrq-trigger. Each value is one word
 * owned by its subsystem (panic_timeout in lib/panic.c, mmap_min_addr in
 * mm/mmap.c, hung_task_timeout in proc/hung_task.c), read and written with READ_ONCE/WRITE_ONCE: a reader sees
 * the old or the new value, never a mix. Writes need root (procfs.c checks
 * at open); the text of one write() is parsed as Linux's sysctl does: a
 * decimal number with optional blanks and newline around it.
 */
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <ferrite/procfs.h>
#include <ferrite/task.h>
#include <ferrite/vm.h>

#define LONG_MAX_ ((long)(~0UL >> 1))

bool sysrq_crash_allowed;

/* One decimal integer, optionally signed, with blanks around it. */
static int parse_long(const char *text, size_t len, long *out)
{
	const char *p = text, *end = text + len;
	bool neg = false, digits = false;
	unsigned long v = 0;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
		p++;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (unsigned long)LONG_MAX_ / 10)
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
		digits = true;
	}
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
		p++;
	if (!digits || p != end || v > (unsigned long)LONG_MAX_)
		return -EINVAL;
	*out = neg ? -(long)v : (long)v;
	return 0;
}

/* A sysctl that takes a count: a decimal number, not negative. */
static int parse_ulong(const char *text, size_t len, unsigned long *out)
{
	long v;
	int err = parse_long(text, len, &v);

	if (err)
		return err;
	if (v < 0)
		return -EINVAL;
	*out = (unsigned long)v;
	return 0;
}

int procfs_show_nothing(struct pbuf *b, pid_t pid)
{
	(void)b;
	(void)pid;
	return 0;
}

/* 'c' crashes the kernel as on Linux, but only when the command line has
 * ferrite.sysrq=1 (a test's way to provoke a panic); other keys are
 * accepted and ignored. */
int procfs_store_sysrq(const char *text, size_t len)
{
	if (len && text[0] == 'c') {
		if (!READ_ONCE(sysrq_crash_allowed))
			return -EPERM;
		panic("sysrq triggered crash");
	}
	return 0;
}

int procfs_show_panic(struct pbuf *b, pid_t pid)
{
	(void)pid;
	pbuf_printf(b, "%d\n", READ_ONCE(panic_timeout));
	return 0;
}

int procfs_store_panic(const char *text, size_t len)
{
	long v;
	int err = parse_long(text, len, &v);

	if (err)
		return err;
	if (v < -0x7fffffffL - 1 || v > 0x7fffffffL)
		return -EINVAL;
	WRITE_ONCE(panic_timeout, (int)v);
	return 0;
}

int procfs_show_hung_task_timeout(struct pbuf *b, pid_t pid)
{
	(void)pid;
	pbuf_printf(b, "%lu\n", READ_ONCE(hung_task_timeout));
	return 0;
}

int procfs_store_hung_task_timeout(const char *text, size_t len)
{
	unsigned long v;
	int err = parse_ulong(text, len, &v);

	if (!err)
		hung_task_set_timeout(v);
	return err;
}

int procfs_show_mmap_min_addr(struct pbuf *b, pid_t pid)
{
	(void)pid;
	pbuf_printf(b, "%lu\n", READ_ONCE(mmap_min_addr));
	return 0;
}

int procfs_store_mmap_min_addr(const char *text, size_t len)
{
	unsigned long v;
	int err = parse_ulong(text, len, &v);

	if (!err)
		WRITE_ONCE(mmap_min_addr, v);
	return err;
}
