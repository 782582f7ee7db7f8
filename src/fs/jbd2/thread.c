/*
 * The commit thread: every JBD2_COMMIT_INTERVAL_MS, commit the running
 * transaction of every journal in use (so a change is durable within a
 * few seconds even without fsync), as Linux's kjournald2 does per
 * journal. One kernel thread for all journals, started at the first
 * registration; it never exits.
 *
 * Locking: journals_lock (mutex) guards the list and is held across each
 * pass, so jbd2_journal_unregister() returning means the thread no longer
 * touches that journal. Order: journals_lock, then j->commit_lock, then
 * j->lock.
 */
#include <ferrite/errno.h>
#include <ferrite/jbd2.h>
#include <ferrite/printk.h>
#include <ferrite/sched.h>
#include <ferrite/task.h>
#include "jbd2_internal.h"

static DEFINE_MUTEX(journals_lock);
static struct list_head journals = { &journals, &journals }; /* Lock: journals_lock */
static bool thread_tried;                                    /* Lock: journals_lock */

static void commit_thread(void *arg)
{
	(void)arg;
	for (;;) {
		sched_sleep_ns((uint64_t)JBD2_COMMIT_INTERVAL_MS * 1000000ull);
		guard(mutex)(&journals_lock);
		struct journal *j;
		list_for_each_entry(j, &journals, node)
			(void)jbd2_journal_commit(j); /* a failure aborts j and is reported */
	}
}

void jbd2_commit_all(void)
{
	guard(mutex)(&journals_lock);
	struct journal *j;
	list_for_each_entry(j, &journals, node)
		(void)jbd2_journal_commit(j);
}

void jbd2_journal_register(struct journal *j)
{
	guard(mutex)(&journals_lock);
	list_add_tail(&j->node, &journals);
	if (!thread_tried) {
		thread_tried = true;
		struct task *t = kthread_create("jbd2-commit", commit_thread, NULL);
		if (IS_ERR(t))
			pr_warn("jbd2: no commit thread (%ld): commits happen on fsync, sync and umount\n",
				PTR_ERR(t));
	}
}

void jbd2_journal_unregister(struct journal *j)
{
	guard(mutex)(&journals_lock);
	list_del(&j->node);
}
