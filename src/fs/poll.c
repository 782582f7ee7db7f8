/*
 * poll_wait(): how a file's ->poll puts the caller on its wait queues for
 * one round of poll/select (src/fs/sys_poll.c). Kept apart so every file
 * type's poll can link it without the syscalls.
 */
#include <ferrite/poll.h>
#include <ferrite/task.h>

void __poll_wait(struct waitqueue *wq, struct poll_table *pt)
{
	if (!pt || !wq)
		return;
	if (pt->queue_proc) {
		pt->queue_proc(pt, wq);
		return;
	}
	if (pt->count == pt->cap) {
		pt->overflow = true;
		return;
	}
	struct poll_table_entry *e = &pt->entries[pt->count++];
	e->wq = wq;
	e->wait = (struct wait_entry)WAIT_ENTRY_INIT(e->wait);
	prepare_to_wait(wq, &e->wait, TASK_INTERRUPTIBLE);
}
