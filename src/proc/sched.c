/*
 * The scheduler: one run queue per CPU, an idle task per CPU, the tick,
 * and timed sleeps. No kernel preemption: a task runs in the kernel until
 * it sleeps or returns to user mode (trap_exit_to_user).
 *
 * Classes (docs/scheduler.md): SCHED_FIFO and SCHED_RR tasks (rt_prio
 * 1..99) wait on rq.rt_tasks, highest priority first, and run before the
 * SCHED_OTHER/BATCH/IDLE tasks of rq.tasks (round robin). A woken
 * real-time task preempts a lower-priority one on its CPU (need_resched,
 * or an IPI to another CPU); a preempted one stays at the head of its
 * level, a yielding one or an SCHED_RR one whose 100 ms slice is used up
 * goes to the tail. Throttling, as Linux's sched_rt_runtime_us: after
 * 950 ms of real-time run time in a 1 s period a CPU runs its normal tasks
 * first until the period ends, so a spinning FIFO task cannot starve the
 * kernel's threads.
 *
 * Timed sleeps and kernel timers expire at their time, not at the next
 * tick: the CPU that adds a deadline earlier than what its timer is armed
 * for arms a one-shot interrupt (hal_timer_arm); each such interrupt runs
 * the expired sleepers and timers, then arms this CPU for the earliest
 * deadline left, so the earliest one is always armed somewhere.
 *
 * sched_yield_to is the direct hand-off of ports' call/reply: it wakes a
 * chosen task and switches to it in one pass, without the queue's order.
 *
 * Placement: a new or woken task goes to its last CPU when that one is
 * idle, else to an idle CPU it may run on, else to the least loaded one
 * (select_cpu); a CPU that idles pulls a queued task from a busy CPU at
 * each tick (pull_task); a remote queueing IPIs the target when it idles.
 *
 * Lock: cpu->rq.lock guards the queue, the on_rq/on_cpu/cpu of the tasks
 * that belong to it and the RUNNING transition of a sleeping task
 * (sched_wakeup), so a wake-up racing with schedule() is never lost. A
 * task's queue is found by reading t->cpu, locking that queue and checking
 * that t->cpu did not change (task_rq_lock). t->cpu changes only under
 * the old queue's lock while t is on no queue and runs nowhere (wake-up,
 * pull) or by t's own CPU in schedule() (migration: prev is queued on its
 * new CPU by the next task's sched_finish_switch, once its registers are
 * saved). Two queue locks are never held together.
 * A task may run on another CPU only once the switch away from it is
 * complete (t->switched_out, set with release by sched_finish_switch and
 * waited for with acquire by switch_locked). Only such a task is queued
 * on a CPU other than the one switching away from it (wake_cpu, pull,
 * affinity), so that wait never forms a cycle between two CPUs.
 * sleep_lock guards the timed-sleeper list (served by CPU 0's tick).
 * Lock order: wq->lock -> sleep_lock -> rq.lock -> pid_lock.
 */
#include <ferrite/lockdep.h>
#include <ferrite/bitops.h>
#include <ferrite/ktimer.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/vm.h>
#include <ferrite/waitqueue.h>
#include <hal/hal_context.h>
#include <hal/hal_mmu.h>
#include <hal/hal_timer.h>
#include <uapi/sched.h>
#include <hal/hal_boot.h>
#include "proc_internal.h"

#define NS_PER_TICK (1000000000ULL / HAL_TIMER_HZ)
#define RR_SLICE_NS (100 * 1000000LL)     /* Linux's RR_TIMESLICE */
#define RT_PERIOD_NS 1000000000ULL        /* sched_rt_period_us */
#define RT_RUNTIME_NS 950000000ULL        /* sched_rt_runtime_us */

static struct spinlock sleep_lock = SPINLOCK_INIT("sleepers");
static LIST_HEAD(sleepers); /* tasks in schedule_timeout; Lock: sleep_lock */

static struct task boot_idle_task;

static void rq_init(struct runqueue *rq)
{
	spin_init(&rq->lock, "runqueue");
	list_init(&rq->tasks);
	list_init(&rq->rt_tasks);
	rq->nr_running = 0;
	rq->rt_nr = 0;
}

void sched_init(void)
{
	boot_idle_task.kstack = boot_stack; /* guarded below (hal_boot.h) */
	sched_init_cpu(hal_cpu_self(), &boot_idle_task);
}

void sched_init_cpu(struct cpu *c, struct task *idle)
{
	rq_init(&c->rq);
	/* The boot context becomes this CPU's idle task; its stack (kstack,
	 * set by the caller) is the boot stack or the one smp_init gave the
	 * CPU, each with a guard page below, so an overflow of an idle stack
	 * is reported like a task's (protect.c). */
	ref_init(&idle->ref);
	spin_init(&idle->lock, "idle");
	idle->proc = &kernel_process;
	idle->state = TASK_RUNNING;
	idle->on_cpu = (int)c->id;
	idle->cpu = (int)c->id;
	idle->is_kthread = true;
	idle->cpus_allowed = ~0UL; /* inherited by what it starts; it never moves */
	idle->switched_out = false;
	list_init(&idle->run_node);
	list_init(&idle->thread_node);
	list_init(&idle->timer_node);
	list_init(&idle->hash_node);
	c->idle = idle;
	c->curr_prio = -1;
	cpu_set_current(c, idle);
}

/* Queue t: a normal task at the tail; a real-time one behind every task
 * of its priority or higher, or (head) in front of those of its own. */
static void enqueue_pos_locked(struct runqueue *rq, struct task *t, bool head)
{
	assert_locked(&rq->lock);
	if (t->rt_prio > 0) {
		struct task *o;
		struct list_head *pos = &rq->rt_tasks;

		list_for_each_entry(o, &rq->rt_tasks, run_node) {
			if (o->rt_prio < t->rt_prio || (head && o->rt_prio == t->rt_prio)) {
				pos = &o->run_node;
				break;
			}
		}
		list_add_tail(&t->run_node, pos); /* before pos */
		t->rt_queued = true;
		rq->rt_nr++;
	} else {
		list_add_tail(&t->run_node, &rq->tasks);
		t->rt_queued = false;
	}
	t->on_rq = true;
	rq->nr_running++;
}

static void enqueue_locked(struct runqueue *rq, struct task *t)
{
	enqueue_pos_locked(rq, t, false);
}

static void dequeue_locked(struct runqueue *rq, struct task *t)
{
	assert_locked(&rq->lock);
	list_del(&t->run_node);
	t->on_rq = false;
	rq->nr_running--;
	if (t->rt_queued)
		rq->rt_nr--;
	t->rt_queued = false;
}

/* A CPU t may run on: its last one when that idles, else an idle one,
 * else the least loaded (ties keep the last one). Reads the queues'
 * counters without their locks: a hint. */
static unsigned select_cpu(const struct task *t)
{
	unsigned long allowed = t->cpus_allowed & READ_ONCE(cpu_online_mask);
	unsigned best = (unsigned)t->cpu, best_load = ~0u;

	if (!allowed)
		allowed = READ_ONCE(cpu_online_mask); /* its CPUs went away */
	if (!(allowed & (1UL << best)))
		best = bit_lowest(allowed);
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		struct cpu *c;
		unsigned load;

		if (!(allowed & (1UL << i)))
			continue;
		c = &cpus[i];
		load = READ_ONCE(c->rq.nr_running) * 2 + (cpu_current_remote(c) != c->idle);
		/* A real-time task avoids CPUs where it could not run now. */
		if (t->rt_prio > 0 && READ_ONCE(c->curr_prio) >= t->rt_prio)
			load += 1000;
		if (load < best_load || (load == best_load && i == (unsigned)t->cpu)) {
			best = i;
			best_load = load;
		}
	}
	return best;
}

/*
 * Where a woken t goes. One whose switch-out is not finished stays on its
 * CPU (busy switching, it cannot pick t before): queued on another, t
 * could be picked there while that CPU's own next task is still being
 * switched out where t runs, and each would wait for the other.
 */
static unsigned wake_cpu(const struct task *t)
{
	if (!__atomic_load_n(&t->switched_out, __ATOMIC_ACQUIRE))
		return (unsigned)t->cpu;
	return select_cpu(t);
}

/* Lock the queue t belongs to (interrupts already off). */
static struct runqueue *task_rq_lock(struct task *t)
{
	for (;;) {
		int cpu = READ_ONCE(t->cpu);
		struct runqueue *rq = &cpus[cpu].rq;

		spin_lock(&rq->lock);
		if (READ_ONCE(t->cpu) == cpu)
			return rq;
		spin_unlock(&rq->lock);
	}
}

/* Kick CPU cpu after queueing a task of priority prio on it: an idle
 * CPU must look at its queue, and one running a lower-priority task than
 * a real-time prio must switch (at its next return to user mode). */
static void kick_cpu_prio(unsigned cpu, int prio)
{
	struct cpu *c = &cpus[cpu];

	if (prio > 0 && prio > READ_ONCE(c->curr_prio)) {
		if (cpu == hal_cpu_id())
			c->need_resched = true;
		else
			smp_send_resched(cpu);
		return;
	}
	if (cpu != hal_cpu_id() && cpu_current_remote(c) == c->idle)
		smp_send_resched(cpu);
}

/*
 * t (RUNNING, on no queue, running nowhere; its queue's lock held as rq)
 * goes to the queue of target: t->cpu changes under the old lock, then
 * the new queue is locked. Between the two, wakers see TASK_RUNNING and
 * leave t alone. Returns with no queue lock held.
 */
static void enqueue_on(struct runqueue *rq, struct task *t, unsigned target)
{
	int prio;

	if ((unsigned)t->cpu != target) {
		WRITE_ONCE(t->cpu, (int)target);
		spin_unlock(&rq->lock);
		rq = &cpus[target].rq;
		spin_lock(&rq->lock);
		/* sched_yield_to on target may have run it meanwhile. */
		if (t->on_rq || t->on_cpu >= 0 || t->cpu != (int)target ||
		    t->state != TASK_RUNNING) {
			spin_unlock(&rq->lock);
			return;
		}
	}
	enqueue_locked(rq, t);
	prio = t->rt_prio; /* t may run (and exit) once the lock is dropped */
	spin_unlock(&rq->lock);
	kick_cpu_prio(target, prio);
}

void sched_add(struct task *t)
{
	unsigned long flags = hal_irq_save();
	struct runqueue *rq = task_rq_lock(t);

	t->state = TASK_RUNNING;
	if (!t->on_rq && t->on_cpu < 0)
		enqueue_on(rq, t, select_cpu(t));
	else
		spin_unlock(&rq->lock);
	hal_irq_restore(flags);
}

static void wakeup_if(struct task *t, int states)
{
	unsigned long flags = hal_irq_save();
	struct runqueue *rq = task_rq_lock(t);

	if (!(t->state & states)) {
		spin_unlock(&rq->lock);
		hal_irq_restore(flags);
		return;
	}
	t->state = TASK_RUNNING;
	/* A task still on its CPU will see TASK_RUNNING in schedule(). */
	if (!t->on_rq && t->on_cpu < 0)
		enqueue_on(rq, t, wake_cpu(t));
	else
		spin_unlock(&rq->lock);
	hal_irq_restore(flags);
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
	mm_activate(next->is_kthread ? NULL : next->proc->mm);
}

void sched_finish_switch(void)
{
	struct cpu *c = hal_cpu_self();
	struct task *prev = c->prev;
	bool migrate = c->prev_migrates;

	c->prev = NULL;
	c->prev_migrates = false;
	if (!prev)
		return;
	/* prev's registers are saved: another CPU may run it from now on. A
	 * dead task leaves the CPU for good: drop the scheduler's ref (after
	 * the store: the put may free it). */
	__atomic_store_n(&prev->switched_out, true, __ATOMIC_RELEASE);
	if (migrate) {
		/* schedule() gave it to another CPU (affinity): queue it there.
		 * A new task's first call may run with interrupts on. */
		unsigned long flags = hal_irq_save();
		struct runqueue *rq = task_rq_lock(prev);

		if (!prev->on_rq && prev->on_cpu < 0 && prev->state == TASK_RUNNING) {
			int prio = prev->rt_prio;

			enqueue_locked(rq, prev);
			spin_unlock(&rq->lock);
			kick_cpu_prio((unsigned)prev->cpu, prio);
		} else {
			spin_unlock(&rq->lock);
		}
		hal_irq_restore(flags);
	} else if (prev->state == TASK_DEAD) {
		task_put(prev);
	}
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
	prev->switched_out = false;
	spin_unlock(&c->rq.lock);

	/* next may have just been switched away from on another CPU. */
	while (!__atomic_load_n(&next->switched_out, __ATOMIC_ACQUIRE)) {
		smp_poll_requests();
		hal_cpu_relax();
	}
	next->switched_out = false;
	WRITE_ONCE(next->nr_switches, next->nr_switches + 1);
	WRITE_ONCE(c->curr_prio, next == c->idle ? -1 : next->rt_prio);
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

/* A running prev (not the idle task) goes back to the queue: the tail,
 * or for a real-time task that did not yield the head of its level. */
static __always_inline void requeue_prev_locked(struct cpu *c, struct task *prev)
{
	bool head = prev->rt_prio > 0 && !prev->rt_yield;

	prev->rt_yield = false;
	if (prev == c->idle || prev->state != TASK_RUNNING || prev->on_rq)
		return;
	if (unlikely(!(prev->cpus_allowed & (1UL << c->id)))) {
		/* Not allowed here any more (sched_setaffinity): queued on
		 * its new CPU once switched out (sched_finish_switch). */
		unsigned target = select_cpu(prev);
		if (target != c->id) {
			WRITE_ONCE(prev->cpu, (int)target);
			c->prev_migrates = true;
			return;
		}
	}
	enqueue_pos_locked(&c->rq, prev, head);
}

/* The next task for this CPU (rq.lock held), off its queue: the first
 * real-time one unless throttled, else the first normal one, else idle. */
static __always_inline struct task *pick_next_locked(struct cpu *c)
{
	struct runqueue *rq = &c->rq;
	struct task *next;

	if (!list_empty(&rq->rt_tasks) && !(c->rt_throttled && !list_empty(&rq->tasks)))
		next = list_first_entry(&rq->rt_tasks, struct task, run_node);
	else if (!list_empty(&rq->tasks))
		next = list_first_entry(&rq->tasks, struct task, run_node);
	else
		return c->idle;
	dequeue_locked(rq, next);
	return next;
}

void schedule(void)
{
	lockdep_might_sleep("schedule");
	unsigned long flags = hal_irq_save();
	struct cpu *c = hal_cpu_self();
	struct runqueue *rq = &c->rq;
	struct task *prev = cpu_current(c), *next;

	spin_lock(&rq->lock);
	c->need_resched = false;
	requeue_prev_locked(c, prev);
	next = pick_next_locked(c);
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
	/* Never past a waiting real-time task of higher priority. */
	if (c->rq.rt_nr && t->rt_prio <
	    list_first_entry(&c->rq.rt_tasks, struct task, run_node)->rt_prio)
		goto fallback;
	if (t->state & (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE))
		t->state = TASK_RUNNING; /* the wake-up, as wakeup_if */
	if (t->state != TASK_RUNNING || t->on_cpu >= 0)
		goto fallback; /* stopped, dead, or still switching out */
	if (t->on_rq)
		dequeue_locked(&c->rq, t);
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
	spin_unlock(&sleep_lock);
	hrtimer_arm_irqoff(deadline_ns);
	hal_irq_restore(flags);

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

/*
 * Run the expired sleepers and kernel timers (interrupts off). Return the
 * earliest deadline left, 0 when none.
 */
static uint64_t expire_timers(uint64_t now)
{
	uint64_t next = ktimer_tick(now);
	struct task *s, *n;

	spin_lock(&sleep_lock);
	list_for_each_entry_safe(s, n, &sleepers, timer_node) {
		if (s->wake_deadline_ns <= now) {
			list_del(&s->timer_node);
			sched_wakeup(s);
		} else if (!next || s->wake_deadline_ns < next) {
			next = s->wake_deadline_ns;
		}
	}
	spin_unlock(&sleep_lock);
	return next;
}

void hrtimer_arm_irqoff(uint64_t deadline_ns)
{
	struct cpu *c = hal_cpu_self();

	if (!deadline_ns || (c->hr_deadline_ns && c->hr_deadline_ns <= deadline_ns))
		return;
	c->hr_deadline_ns = deadline_ns;
	hal_timer_program(deadline_ns);
}

void timer_hr_interrupt(void)
{
	struct cpu *c = hal_cpu_self();
	uint64_t now = hal_time_ns();

	if (c->hr_deadline_ns && c->hr_deadline_ns <= now) {
		c->hr_deadline_ns = 0;
		hrtimer_arm_irqoff(expire_timers(now));
	}
	hal_timer_program(c->hr_deadline_ns);
}

/* Real-time accounting at this CPU's tick: the throttling period and
 * budget, and the SCHED_RR slice of the running task t. */
static void rt_tick(struct cpu *c, struct task *t, uint64_t now, uint64_t delta)
{
	if (now - c->rt_period_start_ns >= RT_PERIOD_NS) {
		c->rt_period_start_ns = now;
		c->rt_time_ns = 0;
		c->rt_throttled = false;
	}
	if (!t || t == c->idle || t->rt_prio <= 0)
		return;
	c->rt_time_ns += delta;
	if (c->rt_time_ns >= RT_RUNTIME_NS)
		c->rt_throttled = true;
	if (t->policy == SCHED_RR) {
		t->rr_left_ns -= (int64_t)delta;
		if (t->rr_left_ns <= 0) {
			t->rr_left_ns = RR_SLICE_NS;
			t->rt_yield = true;
			c->need_resched = true;
		}
	}
}

void timer_tick(void)
{
	struct cpu *c = hal_cpu_self();
	struct task *t = cpu_current(c);
	uint64_t now = hal_time_ns();

	/* The running task is charged the time since this CPU's last tick,
	 * not one period: a virtual CPU the host did not run for a while
	 * gets fewer ticks, but its task still ran for that time. */
	uint64_t delta = c->last_tick_ns && now > c->last_tick_ns ? now - c->last_tick_ns : NS_PER_TICK;

	c->last_tick_ns = now;
	c->ticks++;
	if (t && t != c->idle) {
		if (t->is_kthread)
			c->sys_ticks++;
		else
			c->user_ticks++;
		t->utime_ns += delta;
		__atomic_fetch_add(&t->proc->utime_ns, delta, __ATOMIC_RELAXED);
	} else {
		c->idle_ticks++;
	}
	itimer_tick(t && t != c->idle && !t->is_kthread ? t->proc : NULL, now);
	rt_tick(c, t, now, delta);
	if (t && t != c->idle && t->rt_prio > 0) {
		/* A real-time task gives way only to a higher one (its waker
		 * asked already) or, throttled, to the normal tasks. */
		if (c->rt_throttled &&
		    READ_ONCE(c->rq.nr_running) > READ_ONCE(c->rq.rt_nr))
			c->need_resched = true;
	} else if (READ_ONCE(c->rq.nr_running)) {
		c->need_resched = true;
	}
	/* The global timer lists are served by CPU 0's tick too, besides the
	 * one-shot interrupts: one CPU walks them at every tick, the others
	 * do not contend for their locks. */
	if (c->id != 0)
		return;
	hrtimer_arm_irqoff(expire_timers(now));
}

/*
 * An idle CPU takes a queued task from a busy one: the first on that
 * queue allowed here whose switch-out is complete. It moves under the old
 * queue's lock (off the queue, cpu changed) and is queued here after.
 */
static bool pull_task(struct cpu *self)
{
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		struct cpu *o = &cpus[i];
		struct task *t, *found = NULL;

		if (o == self || !READ_ONCE(o->online) || !READ_ONCE(o->rq.nr_running) ||
		    cpu_current_remote(o) == o->idle)
			continue;
		spin_lock(&o->rq.lock);
		/* Real-time tasks first: each waits behind a higher one there. */
		list_for_each_entry(t, &o->rq.rt_tasks, run_node) {
			if ((t->cpus_allowed & (1UL << self->id)) &&
			    __atomic_load_n(&t->switched_out, __ATOMIC_ACQUIRE)) {
				found = t;
				break;
			}
		}
		if (!found) {
			list_for_each_entry(t, &o->rq.tasks, run_node) {
				if ((t->cpus_allowed & (1UL << self->id)) &&
				    __atomic_load_n(&t->switched_out, __ATOMIC_ACQUIRE)) {
					found = t;
					break;
				}
			}
		}
		if (!found) {
			spin_unlock(&o->rq.lock);
			continue;
		}
		dequeue_locked(&o->rq, found);
		WRITE_ONCE(found->cpu, (int)self->id);
		spin_unlock(&o->rq.lock);
		spin_lock(&self->rq.lock);
		if (!found->on_rq && found->on_cpu < 0 && found->cpu == (int)self->id &&
		    found->state == TASK_RUNNING)
			enqueue_locked(&self->rq, found);
		spin_unlock(&self->rq.lock);
		return true;
	}
	return false;
}

/* The idle loop: run what is queued, else pull, else sleep until an
 * interrupt (the tick, a device, or a reschedule IPI). The check and the
 * sleep happen with interrupts off (wfi and sti;hlt wake on an interrupt
 * that arrived in between), so a queueing IPI is not lost. */
static void cpu_idle_timed(struct cpu *c)
{
	uint64_t t0 = hal_time_ns();

	hal_cpu_idle();
	WRITE_ONCE(c->idle_ns, c->idle_ns + (hal_time_ns() - t0));
}

void sched_run_idle(void)
{
	struct cpu *c = hal_cpu_self();

	hal_irq_enable();
	for (;;) {
		if (unlikely(READ_ONCE(selftest_idle_cpu) == (int)c->id))
			selftest_idle_overflow(); /* protect.c: never returns */
		if (READ_ONCE(c->rq.nr_running)) {
			schedule();
			continue;
		}
		hal_irq_disable();
		if (READ_ONCE(nr_cpus_online) > 1 && pull_task(c)) {
			hal_irq_enable();
			continue;
		}
		if (READ_ONCE(c->rq.nr_running) || READ_ONCE(c->ipi_pending))
			hal_irq_enable();
		else
			cpu_idle_timed(c);
	}
}

/* Change t's CPU mask (already checked against the online CPUs). A queued
 * task on a CPU it may no longer use moves at once; a running one moves at
 * its next schedule() (its CPU is asked to reschedule now); a sleeping one
 * at its wake-up. */
void sched_set_affinity(struct task *t, unsigned long mask)
{
	unsigned long flags = hal_irq_save();
	struct runqueue *rq = task_rq_lock(t);
	unsigned cpu = (unsigned)t->cpu;

	WRITE_ONCE(t->cpus_allowed, mask);
	if (mask & (1UL << cpu)) {
		spin_unlock(&rq->lock);
	} else if (t->on_rq && __atomic_load_n(&t->switched_out, __ATOMIC_ACQUIRE)) {
		dequeue_locked(rq, t);
		enqueue_on(rq, t, select_cpu(t));
	} else {
		bool running = t->on_cpu >= 0;
		spin_unlock(&rq->lock);
		if (running && t == current)
			hal_cpu_self()->need_resched = true;
		else if (running)
			smp_send_resched(cpu);
	}
	hal_irq_restore(flags);
}

/* Change t's scheduling class (checked by the caller, sys_sched.c). A
 * queued t moves to its new place; a CPU that should now run something
 * else (t running there was lowered, or t queued there now outranks what
 * runs) is asked to reschedule. */
void sched_set_policy(struct task *t, int policy, int rt_prio, bool reset_on_fork)
{
	unsigned long flags = hal_irq_save();
	struct runqueue *rq = task_rq_lock(t);
	bool queued = t->on_rq, resched = false;
	int old = t->rt_prio, cpu = t->cpu;

	if (queued)
		dequeue_locked(rq, t);
	WRITE_ONCE(t->policy, policy);
	WRITE_ONCE(t->rt_prio, rt_prio);
	WRITE_ONCE(t->reset_on_fork, reset_on_fork);
	if (policy == SCHED_RR && (old <= 0 || t->rr_left_ns <= 0))
		t->rr_left_ns = RR_SLICE_NS;
	if (queued) {
		enqueue_locked(rq, t);
		resched = rt_prio > READ_ONCE(cpus[cpu].curr_prio);
	} else if (t->on_cpu >= 0) {
		cpu = t->on_cpu;
		WRITE_ONCE(cpus[cpu].curr_prio, rt_prio);
		resched = rt_prio < old && rq->nr_running;
	}
	spin_unlock(&rq->lock);
	if (resched) {
		if (cpu == (int)hal_cpu_id())
			hal_cpu_self()->need_resched = true;
		else
			smp_send_resched((unsigned)cpu);
	}
	hal_irq_restore(flags);
}

void sched_yield(void)
{
	current->rt_yield = true; /* a real-time task goes behind its equals */
	schedule();
}
