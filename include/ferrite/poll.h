/*
 * Waiting on many files at once (poll, select). A file's ->poll(f, pt)
 * returns its ready mask and, when pt is not NULL, calls poll_wait() for
 * every wait queue whose wake-up may change that mask. The caller then
 * sleeps until any of them wakes it, and polls again.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/waitqueue.h>

struct poll_table_entry {
	struct waitqueue *wq;
	struct wait_entry wait;
};

struct poll_table {
	/*
	 * Set by a watcher (epoll) that keeps its own entries: poll_wait()
	 * calls it for every queue instead of filling entries.
	 */
	void (*queue_proc)(struct poll_table *pt, struct waitqueue *wq);
	struct poll_table_entry *entries; /* kmalloc'd, cap entries */
	unsigned count, cap;
	bool overflow; /* more queues than room: the caller re-polls on a tick */
};

void __poll_wait(struct waitqueue *wq, struct poll_table *pt);
/* Register current on wq for this poll round (no-op when pt is NULL: the
 * check is inline, since epoll's harvest polls with no table). */
static inline void poll_wait(struct waitqueue *wq, struct poll_table *pt)
{
	if (pt)
		__poll_wait(wq, pt);
}
