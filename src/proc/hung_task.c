/*
 * The hung-task detector, Linux's khungtaskd in miniature: a kernel thread
 * wakes every half timeout and reports each task that has stayed in an
 * uninterruptible sleep (TASK_UNINTERRUPTIBLE without TASK_WAKEKILL: a
 * mutex, a semaphore, a device wait) without being switched in for more
 * than hung_task_timeout seconds. The report, once per sleep, reads
 * "INFO: hung task: ..." (the fuzzer's and the runners' logs fail on
 * "hung task"). The timeout is 120 s as on Linux, ferrite.hung_task_timeout=N
 * on the command line or /proc/sys/kernel/hung_task_timeout_secs; 0 turns
 * the check off.
 *
 * Locking: the scan takes proc_tree_lock -> process->lock, the order of
 * task.h. A task's nr_switches is written by the scheduler (run queue
 * lock) and read here as a snapshot; the hung_* fields belong to this
 * thread alone. A sleep is reported between timeout and 1.5 x timeout
 * after it began.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/spinlock.h>
#include <ferrite/printk.h>
#include <ferrite/sched.h>
#include <ferrite/task.h>
#include <hal/hal_timer.h>

#define NS_PER_S 1000000000ULL

unsigned long hung_task_timeout = 120; /* seconds; READ_ONCE/WRITE_ONCE */
static unsigned long timeout_changes;   /* bumped by each set; atomic */
static struct task *khungtaskd;         /* set once, before anyone can set */

static void check_task(struct task *t, uint64_t now, unsigned long timeout)
{
	int state = READ_ONCE(t->state);
	unsigned long switches = READ_ONCE(t->nr_switches);

	if ((state & (TASK_UNINTERRUPTIBLE | TASK_WAKEKILL)) != TASK_UNINTERRUPTIBLE) {
		t->hung_since_ns = 0; /* not in an uninterruptible sleep */
		return;
	}
	if (!t->hung_since_ns || switches != t->hung_switches) {
		/* First seen asleep, or it ran since: asleep since now at
		 * least. A task cannot sleep again without being switched
		 * in, so an unchanged count means one unbroken sleep. */
		t->hung_switches = switches;
		t->hung_since_ns = now;
		t->hung_reported = false;
		return;
	}
	if (t->hung_reported || now - t->hung_since_ns < timeout * NS_PER_S)
		return;
	t->hung_reported = true;
	pr_err("INFO: hung task: tid %d (%s) of pid %d blocked in the kernel for more than %lu "
	       "seconds\n",
	       t->tid, t->proc->comm, t->proc->pid, timeout);
}

struct scan {
	uint64_t now;
	unsigned long timeout;
};

static void check_process(struct process *p, const struct scan *s)
{
	struct task *t;

	guard_irqsave(&p->lock);
	list_for_each_entry(t, &p->threads, thread_node)
		check_task(t, s->now, s->timeout);
}

static int check_one(struct process *p, void *arg)
{
	check_process(p, arg);
	return 0;
}

/* Sleep until deadline, or until the timeout is set anew. */
static void wait_for_scan(uint64_t deadline)
{
	unsigned long seen = __atomic_load_n(&timeout_changes, __ATOMIC_ACQUIRE);

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE); /* full fence: see the set */
		if (__atomic_load_n(&timeout_changes, __ATOMIC_ACQUIRE) != seen ||
		    !schedule_timeout(deadline))
			break;
	}
	WRITE_ONCE(current->state, TASK_RUNNING);
}

static void hung_task_thread(void *arg)
{
	(void)arg;
	for (;;) {
		unsigned long timeout = READ_ONCE(hung_task_timeout);
		/* Half the timeout between scans; 60 s while off. */
		uint64_t wait = timeout ? timeout * NS_PER_S / 2 : 60 * NS_PER_S;

		wait_for_scan(hal_time_ns() + wait);
		timeout = READ_ONCE(hung_task_timeout);
		if (!timeout)
			continue;
		struct scan s = { .now = hal_time_ns(), .timeout = timeout };
		check_process(&kernel_process, &s);
		(void)process_for_each(check_one, &s);
	}
}

void hung_task_start(void)
{
	struct task *t = kthread_create("khungtaskd", hung_task_thread, NULL);

	if (IS_ERR(t)) {
		pr_warn("hung task: no detector thread (%ld)\n", PTR_ERR(t));
		return;
	}
	__atomic_store_n(&khungtaskd, t, __ATOMIC_RELEASE);
}

/* /proc/sys/kernel/hung_task_timeout_secs: the detector rescans at the
 * new pace at once, as Linux's does. */
void hung_task_set_timeout(unsigned long seconds)
{
	WRITE_ONCE(hung_task_timeout, seconds);
	__atomic_add_fetch(&timeout_changes, 1, __ATOMIC_RELEASE);
	struct task *t = __atomic_load_n(&khungtaskd, __ATOMIC_ACQUIRE);
	if (t)
		sched_wakeup_interruptible(t);
}

/*
 * /proc/ferrite/selftest "hung-task": sleep uninterruptibly for twice the
 * timeout (at most 60 s), so the detector reports the caller; -EINVAL
 * while the detector is off.
 */
int hung_task_selftest(void)
{
	unsigned long timeout = READ_ONCE(hung_task_timeout);

	if (!timeout || timeout > 30)
		return -EINVAL;
	uint64_t deadline = hal_time_ns() + 2 * timeout * NS_PER_S;
	do
		set_current_state(TASK_UNINTERRUPTIBLE);
	while (schedule_timeout(deadline));
	WRITE_ONCE(current->state, TASK_RUNNING);
	return 0;
}
