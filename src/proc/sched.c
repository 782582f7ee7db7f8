/*
 * The scheduler: one round-robin run queue per CPU, an idle task per CPU,
 * the tick, and timed sleeps. No kernel preemption: a task runs in the
 * kernel until it sleeps or returns to user mode (trap_exit_to_user).
 *
 * sched_yield_to is the direct hand-off of ports' call/reply: it wakes a
 * chosen task and switches to it in one pass, without the queue's order.
 *
 * Lock: cpu->rq.lock guards the queue, every task's on_rq/on_cpu and the
 * RUNNING transition of a sleeping task (sched_wakeup), so a wake-up racing
 * with schedule() is never lost. sleep_lock guards the timed-sleeper list.
 * Lock order: wq->lock -> sleep_lock -> rq.lock -> pid_lock.
 * Tasks stay on the CPU that created them (no migration yet).
 */
#include <ferrite/ktimer.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/vm.h>
#include <ferrite/waitqueue.h>
#include <hal/hal_context.h>
#include <hal/hal_mmu.h>
#include <hal/hal_timer.h>
#include "proc_internal.h"

#define NS_PER_TICK (1000000000ULL / HAL_TIMER_HZ)

static struct spinlock sleep_lock = SPINLOCK_INIT("sleepers");
static LIST_HEAD(sleepers); /* tasks in schedule_timeout; Lock: sleep_lock */

static struct task boot_idle_task;

static void rq_init(struct runqueue *rq)
{
	spin_init(&rq->lock, "runqueue");
	list_init(&rq->tasks);
	rq->nr_running = 0;
}

void sched_init(void)
{
	struct cpu *c = hal_cpu_self();
	struct task *idle = &boot_idle_task;

	rq_init(&c->rq);
	/* The boot context becomes this CPU's idle task; its stack is the
	 * boot stack, so it has no kstack of its own. */
	ref_init(&idle->ref);
	spin_init(&idle->lock, "idle");
	idle->proc = &kernel_process;
	idle->state = TASK_RUNNING;
	idle->on_cpu = (int)c->id;
	idle->cpu = (int)c->id;
	idle->is_kthread = true;
	list_init(&idle->run_node);
	list_init(&idle->thread_node);
	list_init(&idle->timer_node);
	list_init(&idle->hash_node);
	c->idle = idle;
	cpu_set_current(c, idle);
}

static void enqueue_locked(struct runqueue *rq, struct task *t)
{
	assert_locked(&rq->lock);
	list_add_tail(&t->run_node, &rq->tasks);
	t->on_rq = true;
	rq->nr_running++;
}

void sched_add(struct task *t)
{
	struct runqueue *rq = &cpus[t->cpu].rq;

	guard_irqsave(&rq->lock);
	t->state = TASK_RUNNING;
	if (!t->on_rq && t->on_cpu < 0)
		enqueue_locked(rq, t);
}

static void wakeup_if(struct task *t, int states)
{
	struct runqueue *rq = &cpus[t->cpu].rq;

	guard_irqsave(&rq->lock);
	if (!(t->state & states))
		return;
	t->state = TASK_RUNNING;
	/* A task still on its CPU will see TASK_RUNNING in schedule(). */
	if (!t->on_rq && t->on_cpu < 0)
		enqueue_locked(rq, t);
}

void sched_wakeup(struct task *t)
{
	wakeup_if(t, TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE);
}

void sched_wakeup_interruptible(struct task *t)
{
	wakeup_if(t, TASK_INTERRUPTIBLE);
}

void sched_wakeup_kill(struct task *t)
{
	/* The caller's "must die" store before the state load (the sleeper
	 * fences between its state store and fatal_signal_pending). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wakeup_if(t, TASK_INTERRUPTIBLE | TASK_WAKEKILL | TASK_STOPPED);
}

void sched_wakeup_stopped(struct task *t)
{
	wakeup_if(t, TASK_STOPPED);
}

static void activate_address_space(struct task *next)
{
	struct mm *mm = next->is_kthread ? NULL : next->proc->mm;

	if (mm)
		mm_activate(mm);
	else
		hal_pt_activate(NULL);
}

void sched_finish_switch(void)
{
	struct cpu *c = hal_cpu_self();
	struct task *prev = c->prev;

	c->prev = NULL;
	/* A dead task leaves the CPU for good: drop the scheduler's ref. */
	if (prev && prev->state == TASK_DEAD)
		task_put(prev);
}

/*
 * Switch this CPU from prev to next (rq.lock held, irqs off as saved in
 * flags; both released here). Inlined: schedule() and sched_yield_to()
 * are the hot callers. prev was put back on the queue by the caller
 * if it is still runnable. Returns when someone switches back to prev.
 */
static __always_inline void switch_locked(struct cpu *c, struct task *prev,
					  struct task *next, unsigned long flags)
{
	prev->on_cpu = -1;
	next->on_cpu = (int)c->id;
	spin_unlock(&c->rq.lock);

	cpu_set_current(c, next);
	c->prev = prev;
	if (next->kstack)
		hal_set_kernel_stack((uintptr_t)next->kstack + KSTACK_SIZE);
	activate_address_space(next);
	hal_context_switch(&prev->ctx, &next->ctx);
	/* Back on prev's stack: someone switched to us. */
	sched_finish_switch();
	hal_irq_restore(flags);
}

/* A running prev (not the idle task) goes back to the tail of the queue. */
static __always_inline void requeue_prev_locked(struct cpu *c, struct task *prev)
{
	if (prev != c->idle && prev->state == TASK_RUNNING && !prev->on_rq)
		enqueue_locked(&c->rq, prev);
}

void schedule(void)
{
	unsigned long flags = hal_irq_save();
	struct cpu *c = hal_cpu_self();
	struct runqueue *rq = &c->rq;
	struct task *prev = cpu_current(c), *next;

	spin_lock(&rq->lock);
	c->need_resched = false;
	requeue_prev_locked(c, prev);
	if (!list_empty(&rq->tasks)) {
		next = list_first_entry(&rq->tasks, struct task, run_node);
		list_del(&next->run_node);
		next->on_rq = false;
		rq->nr_running--;
	} else {
		next = c->idle;
	}
	if (next == prev) {
		spin_unlock(&rq->lock);
		hal_irq_restore(flags);
		return;
	}
	switch_locked(c, prev, next, flags);
}

void cond_resched(void)
{
	if (READ_ONCE(hal_cpu_self()->need_resched))
		schedule();
}

/*
 * The direct hand-off: t is woken (when it sleeps) and run now, in one
 * pass under rq.lock, instead of queueing it and then running schedule().
 * Guards, each falling back to an ordinary wake-up (and schedule() when
 * the caller set a sleeping state): t belongs to this CPU and is not the
 * caller -> t is asleep (woken here, never queued) or waits on this CPU's
 * queue (taken off it) -> prev goes to the tail of the queue when still
 * runnable, and this CPU switches straight to t.
 */
void sched_yield_to(struct task *t)
{
	unsigned long flags = hal_irq_save();
	struct cpu *c = hal_cpu_self();
	struct task *prev = cpu_current(c);

	spin_lock(&c->rq.lock);
	if (t->cpu != (int)c->id || t == prev)
		goto fallback;
	if (t->state & (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE))
		t->state = TASK_RUNNING; /* the wake-up, as wakeup_if */
	if (t->state != TASK_RUNNING || t->on_cpu >= 0)
		goto fallback; /* stopped, dead, or still switching out */
	if (t->on_rq) {
		list_del(&t->run_node);
		t->on_rq = false;
		c->rq.nr_running--;
	}
	/* need_resched stays: a tick's request still preempts t on its way
	 * back to user mode, so a ping-pong pair cannot starve the queue. */
	requeue_prev_locked(c, prev);
	switch_locked(c, prev, t, flags);
	return;

fallback:
	spin_unlock(&c->rq.lock);
	hal_irq_restore(flags);
	if (t != prev)
		sched_wakeup(t);
	if (READ_ONCE(prev->state) != TASK_RUNNING)
		schedule();
}

uint64_t schedule_timeout(uint64_t deadline_ns)
{
	struct task *self = current;
	unsigned long flags;
	uint64_t now;

	if (!deadline_ns) {
		schedule();
		return 1;
	}
	if (hal_time_ns() >= deadline_ns) {
		WRITE_ONCE(self->state, TASK_RUNNING);
		return 0;
	}
	flags = spin_lock_irqsave(&sleep_lock);
	self->wake_deadline_ns = deadline_ns;
	list_add_tail(&self->timer_node, &sleepers);
	spin_unlock_irqrestore(&sleep_lock, flags);

	schedule();

	flags = spin_lock_irqsave(&sleep_lock);
	if (!list_empty(&self->timer_node))
		list_del(&self->timer_node);
	spin_unlock_irqrestore(&sleep_lock, flags);
	now = hal_time_ns();
	return deadline_ns > now ? deadline_ns - now : 0;
}

int sched_sleep_ns(uint64_t ns)
{
	uint64_t deadline = hal_time_ns() + ns;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (signal_pending_current()) {
			WRITE_ONCE(current->state, TASK_RUNNING);
			return -EINTR;
		}
		if (!schedule_timeout(deadline)) {
			WRITE_ONCE(current->state, TASK_RUNNING);
			return 0;
		}
	}
}

void timer_tick(void)
{
	struct cpu *c = hal_cpu_self();
	struct task *t = cpu_current(c), *s, *n;
	uint64_t now = hal_time_ns();

	c->ticks++;
	if (t && t != c->idle) {
		t->utime_ns += NS_PER_TICK;
		__atomic_fetch_add(&t->proc->utime_ns, NS_PER_TICK, __ATOMIC_RELAXED);
	}
	itimer_tick(t && t != c->idle && !t->is_kthread ? t->proc : NULL, now);
	ktimer_tick(now);
	spin_lock(&sleep_lock);
	list_for_each_entry_safe(s, n, &sleepers, timer_node) {
		if (s->wake_deadline_ns <= now) {
			list_del(&s->timer_node);
			sched_wakeup(s);
		}
	}
	spin_unlock(&sleep_lock);
	if (READ_ONCE(c->rq.nr_running))
		c->need_resched = true;
}

void sched_run_idle(void)
{
	struct cpu *c = hal_cpu_self();

	hal_irq_enable();
	for (;;) {
		if (READ_ONCE(c->rq.nr_running))
			schedule();
		else
			hal_cpu_idle();
	}
}
