/*
 * /proc/PID/task/TID contents: which threads a process has, and each
 * thread's fail-nth (fault injection, src/mm/fault_inject.c), the file
 * Linux's syzkaller writes to fail the N-th allocation, page-table page,
 * user copy or block request of one call. /proc/PID/fail-nth is the same
 * file for the thread whose tid is PID. procfs.c makes the directories and
 * inodes; this file finds the threads and reads and writes the count,
 * rendered at each read (a reader keeps the file open across the call it
 * tests and reads it again at offset 0, as syzkaller does).
 * Locking: p->threads is walked under p->lock, only to copy tids out; a
 * task is used through a reference, never under a lock.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/fault_inject.h>
#include <ferrite/procfs.h>
#include <ferrite/string.h>
#include <ferrite/task.h>

pid_t procfs_task_next(pid_t pid, pid_t from)
{
	struct process *p = process_find(pid);
	struct task *t;
	pid_t best = -1;

	if (!p)
		return -1;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		list_for_each_entry(t, &p->threads, thread_node)
			if (t->tid >= from && (best < 0 || t->tid < best))
				best = t->tid;
	}
	process_put(p);
	return best;
}

struct task *procfs_task_get(pid_t pid, pid_t tid)
{
	struct task *t = task_find(tid);

	if (t && (t->is_kthread || !t->proc || t->proc->pid != pid)) {
		task_put(t);
		return NULL;
	}
	return t;
}

ssize_t procfs_fail_nth_read(pid_t pid, pid_t tid, const struct iobuf *buf, off_t *pos)
{
	struct task *t = procfs_task_get(pid, tid);
	char text[16];
	size_t len, n;

	if (!t)
		return -ESRCH;
	len = (size_t)ksnprintf(text, sizeof(text), "%u\n", fault_inject_nth_get(t));
	task_put(t);
	if (*pos < 0)
		return -EINVAL;
	if ((size_t)*pos >= len)
		return 0;
	n = MIN(buf->len, len - (size_t)*pos);
	if (iobuf_copy_to(buf, 0, text + *pos, n))
		return -EFAULT;
	*pos += (off_t)n;
	return (ssize_t)n;
}

/* As Linux's kstrtouint(text, 0): decimal, 0x hex or 0 octal, one
 * optional newline after. -EINVAL for anything else, -ERANGE past 2^32. */
static int parse_uint(const char *s, size_t len, unsigned *out)
{
	unsigned base = 10;
	uint64_t v = 0;
	size_t i = 0;

	if (len && s[len - 1] == '\n')
		len--;
	if (i < len && s[i] == '+')
		i++;
	if (len - i > 2 && s[i] == '0' && (s[i + 1] | 0x20) == 'x') {
		base = 16;
		i += 2;
	} else if (len - i > 1 && s[i] == '0') {
		base = 8;
	}
	if (i == len)
		return -EINVAL;
	for (; i < len; i++) {
		char c = s[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0')
			   : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (unsigned)((c | 0x20) - 'a' + 10)
								     : 16;
		if (d >= base)
			return -EINVAL;
		v = v * base + d;
		if (v > 0xffffffffull)
			return -ERANGE;
	}
	*out = (unsigned)v;
	return 0;
}

ssize_t procfs_fail_nth_write(pid_t pid, pid_t tid, const struct iobuf *buf)
{
	char text[24];
	unsigned n;
	int err;

	if (buf->len >= sizeof(text))
		return -EINVAL;
	if (iobuf_copy_from(text, buf, 0, buf->len))
		return -EFAULT;
	err = parse_uint(text, buf->len, &n);
	if (err)
		return err;
	struct task *t = procfs_task_get(pid, tid);
	if (!t)
		return -ESRCH;
	fault_inject_nth_set(t, n);
	task_put(t);
	return (ssize_t)buf->len;
}
