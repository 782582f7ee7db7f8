/*
 * Wait queues: the one blocking primitive (src/usync/waitqueue.c).
 *
 * The waiter puts itself on the queue and marks itself sleeping *before*
 * testing the condition; a waker changes the condition and then wakes the
 * queue. Either the waiter sees the new condition or the wake-up finds it
 * on the queue and makes it runnable, so no wake-up is lost.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/list.h>
#include <ferrite/spinlock.h>
#include <ferrite/sched.h>
#include <ferrite/errno.h>

struct task;

struct waitqueue {
	struct spinlock lock;
	struct list_head waiters; /* Lock: lock */
};

struct wait_entry {
	struct task *task;
	struct list_head node;
	bool exclusive; /* wake_up_one wakes only the first exclusive waiter */
	/*
	 * NULL: a sleeping task, woken and taken off the queue. Otherwise a
	 * watcher (epoll): called under wq->lock (interrupts may be off), it
	 * stays queued until remove_wait_entry().
	 */
	void (*wake_fn)(struct wait_entry *e);
};

#define WAITQUEUE_INIT(name) { SPINLOCK_INIT(#name), LIST_HEAD_INIT((name).waiters) }
#define WAIT_ENTRY_INIT(name) { NULL, LIST_HEAD_INIT((name).node), false }

/*
 * A woken entry is taken off the queue (and prepare_to_wait puts it back on
 * the next loop), so wake_up_one never wakes the same waiter twice.
 */
void waitqueue_init(struct waitqueue *wq);
/* Add e for current and set current->state to state (TASK_INTERRUPTIBLE,
 * TASK_KILLABLE, or TASK_UNINTERRUPTIBLE for the kernel's own short-held
 * sleeping locks only). */
void prepare_to_wait(struct waitqueue *wq, struct wait_entry *e, int state);
/* Same, but wake_up_one wakes only one such waiter at a time. */
void prepare_to_wait_exclusive(struct waitqueue *wq, struct wait_entry *e, int state);
/* Remove e and set current->state back to TASK_RUNNING. */
void finish_wait(struct waitqueue *wq, struct wait_entry *e);
/* Queue / unqueue a watcher entry (e->wake_fn set); no task state change. */
void add_wait_entry(struct waitqueue *wq, struct wait_entry *e);
void remove_wait_entry(struct waitqueue *wq, struct wait_entry *e);
/* Wake every waiter / the first exclusive waiter (and all non-exclusive). */
void wake_up_all(struct waitqueue *wq);
void wake_up_one(struct waitqueue *wq);
/* wake_up_all with wq->lock already held by the caller. */
void wake_up_all_locked(struct waitqueue *wq);
static inline bool waitqueue_active(struct waitqueue *wq) { return !list_empty(&wq->waiters); }
/* True when the current thread has a signal that interrupts sleeps. */
bool signal_pending_current(void);
/* True when the current thread must die (a fatal signal, exit_group, or
 * another thread's exec): it leaves at its next return to user mode. */
bool fatal_signal_pending(void);

/*
 * wait_event_interruptible(wq, cond): sleep until cond is true. Return 0, or
 * -ERESTARTSYS when a signal interrupts the sleep.
 * wait_event_timeout_interruptible(wq, cond, deadline_ns): also -ETIMEDOUT
 * once monotonic time passes deadline_ns (0 means no deadline).
 */
#define wait_event_timeout_interruptible(wq, cond, deadline_ns)              \
	({                                                                   \
		long __ret = 0;                                              \
		struct wait_entry __we = WAIT_ENTRY_INIT(__we);                                      \
		for (;;) {                                                   \
			prepare_to_wait((wq), &__we, TASK_INTERRUPTIBLE);    \
			if (cond)                                            \
				break;                                       \
			if (signal_pending_current()) {                      \
				__ret = -ERESTARTSYS;                        \
				break;                                       \
			}                                                    \
			if (!schedule_timeout(deadline_ns) && (deadline_ns)) { \
				__ret = (cond) ? 0 : -ETIMEDOUT;             \
				break;                                       \
			}                                                    \
		}                                                            \
		finish_wait((wq), &__we);                                    \
		__ret;                                                       \
	})
#define wait_event_interruptible(wq, cond) wait_event_timeout_interruptible(wq, cond, 0)
/*
 * wait_event_killable(wq, cond): sleep in TASK_KILLABLE until cond is true.
 * Signals do not interrupt it, a fatal one does: return 0, or -EINTR when
 * the task must die (fatal_signal_pending). A sleep that waits on another
 * process must stay killable; only device I/O waits uninterruptibly.
 */
#define wait_event_killable(wq, cond)                                        \
	({                                                                   \
		long __ret = 0;                                              \
		struct wait_entry __we = WAIT_ENTRY_INIT(__we);              \
		for (;;) {                                                   \
			prepare_to_wait((wq), &__we, TASK_KILLABLE);         \
			if (cond)                                            \
				break;                                       \
			if (fatal_signal_pending()) {                        \
				__ret = -EINTR;                              \
				break;                                       \
			}                                                    \
			schedule();                                          \
		}                                                            \
		finish_wait((wq), &__we);                                    \
		__ret;                                                       \
	})
/*
 * wait_event_io(wq, cond): sleep in TASK_UNINTERRUPTIBLE until a device
 * completes a request (Linux's io_schedule, the D state). The one
 * uninterruptible wait: the device owns the request's buffer until it
 * completes, so the waiter may not leave early, and the device, not
 * another process, bounds the wait.
 */
#define wait_event_io(wq, cond)                                              \
	do {                                                                 \
		struct wait_entry __we = WAIT_ENTRY_INIT(__we);              \
		for (;;) {                                                   \
			prepare_to_wait((wq), &__we, TASK_UNINTERRUPTIBLE);  \
			if (cond)                                            \
				break;                                       \
			schedule();                                          \
		}                                                            \
		finish_wait((wq), &__we);                                    \
	} while (0)
