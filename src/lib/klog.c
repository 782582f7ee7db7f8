/*
 * The kernel log ring (include/ferrite/klog.h). Bytes are counted in
 * absolute positions: the ring holds [head, tail), the reader of
 * SYSLOG_ACTION_READ is at read_pos and the last clear left clear_pos;
 * both are raised to head when old records are overwritten. A full ring
 * drops whole records from its head, so every record read back starts
 * with its "<level>" prefix.
 *
 * Lock: klog_lock (irqsave: printk runs in interrupts) guards all of it;
 * readers copy into a kernel buffer under it and to user memory after.
 */
#include <ferrite/klog.h>
#include <ferrite/printk.h>
#include <ferrite/spinlock.h>
#include <hal/hal_timer.h>

#define MIN_CONSOLE_LEVEL 1
#define DEFAULT_CONSOLE_LEVEL 7

static struct spinlock klog_lock = SPINLOCK_INIT("klog");
static char log_buf[KLOG_BUF_LEN];       /* Lock: klog_lock */
static uint64_t head, tail;              /* Lock: klog_lock */
static uint64_t read_pos, clear_pos;     /* Lock: klog_lock */
static bool mid_line;                    /* Lock: klog_lock */
static int console_level = DEFAULT_CONSOLE_LEVEL; /* Lock: klog_lock (read racily) */
static int saved_console_level = -1;              /* Lock: klog_lock */
static bool verbose;                     /* set once by panic */

_Static_assert((KLOG_BUF_LEN & (KLOG_BUF_LEN - 1)) == 0, "ring size is a power of two");

static char at(uint64_t pos)
{
	return log_buf[pos & (KLOG_BUF_LEN - 1)];
}

/* Drop the oldest record. Caller holds klog_lock. */
static void drop_oldest(void)
{
	while (head < tail && at(head++) != '\n')
		;
	if (read_pos < head)
		read_pos = head;
	if (clear_pos < head)
		clear_pos = head;
}

static void put(char c)
{
	if (tail - head == KLOG_BUF_LEN)
		drop_oldest();
	log_buf[tail++ & (KLOG_BUF_LEN - 1)] = c;
}

static void put_str(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(s[i]);
}

/* "<level>[seconds.micros] " as Linux's syslog(2) output. */
static void put_prefix(int level)
{
	uint64_t ns = hal_time_ns();
	char pre[48];
	int n = ksnprintf(pre, sizeof(pre), "<%d>[%5lu.%06lu] ", level,
			  (unsigned long)(ns / 1000000000u), (unsigned long)(ns % 1000000000u / 1000));

	put_str(pre, (size_t)n < sizeof(pre) ? (size_t)n : sizeof(pre) - 1);
}

void klog_store(int level, const char *s, size_t n)
{
	unsigned long flags;

	if (READ_ONCE(verbose))
		return;
	flags = spin_lock_irqsave(&klog_lock);
	for (size_t i = 0; i < n; i++) {
		if (!mid_line)
			put_prefix(level);
		put(s[i]);
		mid_line = s[i] != '\n';
	}
	spin_unlock_irqrestore(&klog_lock, flags);
}

bool klog_console_wants(int level)
{
	return READ_ONCE(verbose) || level < READ_ONCE(console_level);
}

void klog_console_verbose(void)
{
	WRITE_ONCE(verbose, true);
}

size_t klog_read_all(char *dst, size_t cap, bool clear)
{
	unsigned long flags = spin_lock_irqsave(&klog_lock);
	uint64_t from = clear_pos;
	size_t n;

	/* Whole records only: skip the oldest until the rest fits. */
	while (tail - from > cap) {
		while (from < tail && at(from++) != '\n')
			;
	}
	n = (size_t)(tail - from);
	for (size_t i = 0; i < n; i++)
		dst[i] = at(from + i);
	if (clear)
		clear_pos = tail;
	spin_unlock_irqrestore(&klog_lock, flags);
	return n;
}

size_t klog_read(char *dst, size_t cap)
{
	unsigned long flags = spin_lock_irqsave(&klog_lock);
	size_t n = (size_t)(tail - read_pos);

	if (n > cap)
		n = cap;
	for (size_t i = 0; i < n; i++)
		dst[i] = at(read_pos + i);
	read_pos += n;
	spin_unlock_irqrestore(&klog_lock, flags);
	return n;
}

size_t klog_unread(void)
{
	unsigned long flags = spin_lock_irqsave(&klog_lock);
	size_t n = (size_t)(tail - read_pos);

	spin_unlock_irqrestore(&klog_lock, flags);
	return n;
}

void klog_clear(void)
{
	unsigned long flags = spin_lock_irqsave(&klog_lock);

	clear_pos = tail;
	spin_unlock_irqrestore(&klog_lock, flags);
}

void klog_console_level(int level)
{
	unsigned long flags = spin_lock_irqsave(&klog_lock);

	WRITE_ONCE(console_level, level < MIN_CONSOLE_LEVEL ? MIN_CONSOLE_LEVEL : level);
	saved_console_level = -1;
	spin_unlock_irqrestore(&klog_lock, flags);
}

void klog_console_off(void)
{
	unsigned long flags = spin_lock_irqsave(&klog_lock);

	if (saved_console_level == -1) {
		saved_console_level = console_level;
		WRITE_ONCE(console_level, MIN_CONSOLE_LEVEL);
	}
	spin_unlock_irqrestore(&klog_lock, flags);
}

void klog_console_on(void)
{
	unsigned long flags = spin_lock_irqsave(&klog_lock);

	if (saved_console_level != -1) {
		WRITE_ONCE(console_level, saved_console_level);
		saved_console_level = -1;
	}
	spin_unlock_irqrestore(&klog_lock, flags);
}
