/*
 * The scheduler: one round-robin run queue per CPU, an idle task per CPU,
 * the tick, and timed sleeps. No kernel preemption: a task runs in the
 * kernel until it sleeps or returns to user mode (trap_exit_to_user).
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
	sched_init_cpu(hal_cpu_self(), &boot_idle_task);
}

void sched_init_cpu(struct cpu *c, struct task *idle)
{
	rq_init(&c->rq);
	/* The boot context becomes this CPU's idle task; its stack is the
	 * boot stack (or the one smp_init gave the CPU), so it has no kstack
	 * of its own. */
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
	cpu_set_current(c, idle);
}

static void enqueue_locked(struct runqueue *rq, struct task *t)
{
	assert_locked(&rq->lock);
	list_add_tail(&t->run_node, &rq->tasks);
	t->on_rq = true;
	rq->nr_running++;
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

/* Kick CPU cpu after queueing on it: an idle CPU must look at its queue. */
static void kick_cpu(unsigned cpu)
{
	struct cpu *c = &cpus[cpu];

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
	spin_unlock(&rq->lock);
	kick_cpu(target);
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
			enqueue_locked(rq, prev);
			spin_unlock(&rq->lock);
			kick_cpu((unsigned)prev->cpu);
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
	enqueue_locked(&c->rq, prev);
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
	if (READ_ONCE(c->rq.nr_running))
		c->need_resched = true;
	/* The global timer lists are served by CPU 0 only: one CPU walks
	 * them, the others do not contend for their locks at every tick. */
	if (c->id != 0)
		return;
	ktimer_tick(now);
	spin_lock(&sleep_lock);
	list_for_each_entry_safe(s, n, &sleepers, timer_node) {
		if (s->wake_deadline_ns <= now) {
			list_del(&s->timer_node);
			sched_wakeup(s);
		}
	}
	spin_unlock(&sleep_lock);
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
		list_for_each_entry(t, &o->rq.tasks, run_node) {
			if ((t->cpus_allowed & (1UL << self->id)) &&
			    __atomic_load_n(&t->switched_out, __ATOMIC_ACQUIRE)) {
				found = t;
				break;
			}
		}
		if (!found) {
			spin_unlock(&o->rq.lock);
			continue;
		}
		list_del(&found->run_node);
		found->on_rq = false;
		o->rq.nr_running--;
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
void sched_run_idle(void)
{
	struct cpu *c = hal_cpu_self();

	hal_irq_enable();
	for (;;) {
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
			hal_cpu_idle();
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
		list_del(&t->run_node);
		t->on_rq = false;
		rq->nr_running--;
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
