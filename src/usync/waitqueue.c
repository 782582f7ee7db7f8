/*
 * Wait queues: the one blocking primitive.
 *
 * Lock: wq->lock guards the waiter list. prepare_to_wait() queues the entry
 * and sets current->state under that lock; a waker takes the same lock,
 * unlinks the entry and calls sched_wakeup(), which sets TASK_RUNNING under
 * the run-queue lock. A waiter that tests its condition after
 * prepare_to_wait() therefore either sees the new condition or is woken: no
 * wake-up is lost. Lock order: wq->lock -> run queue lock.
 */
#include <ferrite/cpu.h>
#include <ferrite/task.h>
#include <ferrite/waitqueue.h>

void waitqueue_init(struct waitqueue *wq)
{
	spin_init(&wq->lock, "waitqueue");
	list_init(&wq->waiters);
}

static void queue_entry(struct waitqueue *wq, struct wait_entry *e, int state, bool exclusive)
{
	struct task *self = current;
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	e->task = self;
	e->exclusive = exclusive;
	if (list_empty(&e->node)) {
		/* Exclusive waiters queue at the tail, the others at the head. */
		if (exclusive)
			list_add_tail(&e->node, &wq->waiters);
		else
			list_add(&e->node, &wq->waiters);
	}
	WRITE_ONCE(self->state, state);
	spin_unlock_irqrestore(&wq->lock, flags);
}

void prepare_to_wait(struct waitqueue *wq, struct wait_entry *e, int state)
{
	queue_entry(wq, e, state, false);
}

void prepare_to_wait_exclusive(struct waitqueue *wq, struct wait_entry *e, int state)
{
	queue_entry(wq, e, state, true);
}

void finish_wait(struct waitqueue *wq, struct wait_entry *e)
{
	/* Always lock: a waker may still be touching e (which usually lives
	 * on our stack) until it drops wq->lock. */
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	WRITE_ONCE(current->state, TASK_RUNNING);
	if (!list_empty(&e->node))
		list_del(&e->node);
	spin_unlock_irqrestore(&wq->lock, flags);
}

void add_wait_entry(struct waitqueue *wq, struct wait_entry *e)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	if (e->exclusive)
		list_add_tail(&e->node, &wq->waiters);
	else
		list_add(&e->node, &wq->waiters);
	spin_unlock_irqrestore(&wq->lock, flags);
}

void remove_wait_entry(struct waitqueue *wq, struct wait_entry *e)
{
	/* Once this returns, e->wake_fn is not running and will not run. */
	unsigned long flags = spin_lock_irqsave(&wq->lock);

	if (!list_empty(&e->node))
		list_del(&e->node);
	spin_unlock_irqrestore(&wq->lock, flags);
}

/*
 * Wake waiters; nr_exclusive == 0 means all of them. Sleeping tasks leave
 * the queue; watchers (wake_fn) stay on it and are called in place.
 */
static void wake_locked(struct waitqueue *wq, int nr_exclusive)
{
	struct wait_entry *e, *n;

	assert_locked(&wq->lock);
	list_for_each_entry_safe(e, n, &wq->waiters, node) {
		bool excl = e->exclusive;
		if (e->wake_fn) {
			e->wake_fn(e);
		} else {
			struct task *t = e->task;
			list_del(&e->node);
			sched_wakeup(t);
		}
		if (excl && nr_exclusive && --nr_exclusive == 0)
			break;
	}
}

void wake_up_all_locked(struct waitqueue *wq)
{
	wake_locked(wq, 0);
}

void wake_up_all(struct waitqueue *wq)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	wake_locked(wq, 0);
	spin_unlock_irqrestore(&wq->lock, flags);
}

void wake_up_one(struct waitqueue *wq)
{
	unsigned long flags = spin_lock_irqsave(&wq->lock);
	wake_locked(wq, 1);
	spin_unlock_irqrestore(&wq->lock, flags);
}
