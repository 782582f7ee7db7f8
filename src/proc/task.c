/*
 * Allocation, reference counting and release of tasks and processes.
 *
 * A task holds a reference to its process; a parent holds one on each child
 * until wait4 reaps it; the scheduler holds the task's first reference until
 * the task has died and switched away for good (sched_finish_switch).
 * Lock: proc_tree_lock guards parent/children/sibling and the all-process
 * list; p->lock guards p->threads.
 */
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/frame.h>
#include <ferrite/fault_inject.h>
#include <ferrite/kmalloc.h>
#include <ferrite/signal.h>
#include <ferrite/string.h>
#include <ferrite/vm.h>
#include <hal/hal_context.h>
#include <hal/hal_mmu.h>
#include "proc_internal.h"

struct spinlock proc_tree_lock = SPINLOCK_INIT("proc_tree");
static LIST_HEAD(all_processes); /* Lock: proc_tree_lock */
static long live_tasks, live_processes; /* atomic */

struct process kernel_process = {
	.ref = { 1 },
	.lock = SPINLOCK_INIT("kernel_process"),
	.pid = 0,
	.children = LIST_HEAD_INIT(kernel_process.children),
	.sibling = LIST_HEAD_INIT(kernel_process.sibling),
	.child_wait = WAITQUEUE_INIT(kernel_process.child_wait),
	.signalfd_wait = WAITQUEUE_INIT(kernel_process.signalfd_wait),
	.exit_wait = WAITQUEUE_INIT(kernel_process.exit_wait),
	.threads = LIST_HEAD_INIT(kernel_process.threads),
	.hash_node = LIST_HEAD_INIT(kernel_process.hash_node),
	.all_node = LIST_HEAD_INIT(kernel_process.all_node),
	.comm = "kernel",
};

static void set_default_limits(struct process *p)
{
	for (int i = 0; i < RLIM_NLIMITS; i++)
		p->rlim[i] = (struct rlimit64){ RLIM_INFINITY, RLIM_INFINITY };
	p->rlim[RLIMIT_STACK].rlim_cur = 8UL << 20;
	p->rlim[RLIMIT_NOFILE] = (struct rlimit64){ 1024, NR_OPEN_MAX };
	p->rlim[RLIMIT_CORE].rlim_cur = 0;
	p->rlim[RLIMIT_NPROC] = (struct rlimit64){ PID_MAX, PID_MAX };
	p->rlim[RLIMIT_SIGPENDING] = (struct rlimit64){ 4096, 4096 };
	p->rlim[RLIMIT_MSGQUEUE] = (struct rlimit64){ 819200, 819200 };
	p->rlim[RLIMIT_MEMLOCK] = (struct rlimit64){ 8UL << 20, 8UL << 20 };
	p->rlim[RLIMIT_NICE] = (struct rlimit64){ 0, 0 };
	p->rlim[RLIMIT_RTPRIO] = (struct rlimit64){ 0, 0 };
}

struct process *process_alloc(void)
{
	struct process *p = kzalloc(sizeof(*p));

	if (!p)
		return NULL;
	ref_init(&p->ref);
	spin_init(&p->lock, "process");
	list_init(&p->children);
	list_init(&p->sibling);
	list_init(&p->threads);
	list_init(&p->hash_node);
	list_init(&p->all_node);
	list_init(&p->sigqueue);
	itimer_init(p);
	waitqueue_init(&p->child_wait);
	waitqueue_init(&p->signalfd_wait);
	waitqueue_init(&p->exit_wait);
	set_default_limits(p);
	p->exit_signal = SIGCHLD;
	__atomic_fetch_add(&live_processes, 1, __ATOMIC_RELAXED);
	return p;
}

static void process_release(struct ref *r)
{
	struct process *p = container_of(r, struct process, ref);

	BUG_ON(p == &kernel_process);
	process_unhash(p);
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &proc_tree_lock, 0 })) {
		if (!list_empty(&p->all_node))
			list_del(&p->all_node);
	}
	if (p->mm)
		mm_put(p->mm);
	if (p->files)
		fd_table_put(p->files);
	if (p->fs)
		fs_context_put(p->fs);
	if (p->sighand)
		sighand_put(p->sighand);
	signal_flush_queue(&p->sigqueue);
	cred_release(p);
	pid_free(p->pid);
	kfree(p);
	__atomic_fetch_sub(&live_processes, 1, __ATOMIC_RELAXED);
}

void process_get(struct process *p)
{
	ref_get(&p->ref);
}

void process_put(struct process *p)
{
	ref_put(&p->ref, process_release);
}

/*
 * Kernel stacks with a guard page: a block of twice KSTACK_SIZE, the stack
 * in its upper half (KSTACK_SIZE aligned, as the backtrace and riscv64's
 * trap entry expect) and the page right below it absent from the direct
 * map, so running off the bottom faults there: x86_64 takes a #DF on its
 * IST stack, riscv64's trap entry sees sp in the guard and switches to an
 * emergency stack; both report the task and panic. Where the arch could
 * not map RAM by small pages at boot the stack goes without a guard. The
 * secondary CPUs' idle stacks come from here too (smp.c).
 */
#define KSTACK_BLOCK_ORDER (KSTACK_ORDER + 1)

void *kstack_alloc(void)
{
	char *block = pages_alloc(KSTACK_BLOCK_ORDER);

	if (!block)
		return NULL;
	(void)hal_kernel_guard_page(block + KSTACK_SIZE - PAGE_SIZE, true);
	return block + KSTACK_SIZE;
}

void kstack_free(void *stack)
{
	char *block = (char *)stack - KSTACK_SIZE;

	(void)hal_kernel_guard_page(block + KSTACK_SIZE - PAGE_SIZE, false);
	pages_free(block, KSTACK_BLOCK_ORDER);
}

struct task *task_alloc(struct process *p)
{
	struct task *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	t->kstack = kstack_alloc();
	if (!t->kstack) {
		kfree(t);
		return NULL;
	}
	ref_init(&t->ref);
	spin_init(&t->lock, "task");
	t->tf = (struct trap_frame *)((char *)t->kstack + KSTACK_SIZE) - 1;
	memset(t->tf, 0, sizeof(*t->tf));
	t->state = TASK_RUNNING;
	t->on_cpu = -1;
	t->cpu = (int)hal_cpu_self()->id;
	t->switched_out = true;
	/* fork and clone inherit the affinity (a kernel thread too: harmless). */
	t->cpus_allowed = current ? READ_ONCE(current->cpus_allowed) : ~0UL;
	/* A user task's class is inherited, unless SCHED_RESET_ON_FORK
	 * (the nice value: fork.c); kernel threads are SCHED_OTHER. */
	if (current && p != &kernel_process && !current->is_kthread &&
	    !READ_ONCE(current->reset_on_fork)) {
		t->policy = READ_ONCE(current->policy);
		t->rt_prio = READ_ONCE(current->rt_prio);
		t->rr_left_ns = 100 * 1000000LL;
	} else if (current && p != &kernel_process && !current->is_kthread &&
		   READ_ONCE(current->rt_prio) == 0) {
		t->policy = READ_ONCE(current->policy); /* BATCH, IDLE stay */
	}
	list_init(&t->run_node);
	list_init(&t->thread_node);
	list_init(&t->timer_node);
	list_init(&t->hash_node);
	list_init(&t->sigqueue);
	process_get(p);
	t->proc = p;
	__atomic_fetch_add(&live_tasks, 1, __ATOMIC_RELAXED);
	return t;
}

/* The last task_put (task.h): unhash, free the tid, kernel stack and
 * signal queue, drop the process. */
void task_release(struct ref *r)
{
	struct task *t = container_of(r, struct task, ref);
	struct process *p = t->proc;

	task_unhash(t);
	fault_inject_nth_set(t, 0); /* the count of armed tasks */
	if (t->tid && t->tid != p->pid)
		pid_free(t->tid);
	if (t->kstack)
		kstack_free(t->kstack);
	signal_flush_queue(&t->sigqueue);
	kfree(t);
	process_put(p);
	__atomic_fetch_sub(&live_tasks, 1, __ATOMIC_RELAXED);
}

void process_add_thread(struct process *p, struct task *t)
{
	guard_irqsave(&p->lock);
	list_add_tail(&t->thread_node, &p->threads);
	p->nr_threads++;
}

void task_start(struct task *t, void (*fn)(void *), void *arg)
{
	hal_context_init(&t->ctx, (uintptr_t)t->kstack + KSTACK_SIZE - sizeof(struct trap_frame),
			 fn, arg);
	sched_add(t);
}

/* Put a new process on the all-process list (it becomes visible to kill). */
void process_publish(struct process *p)
{
	process_hash(p);
	guard_irqsave(&proc_tree_lock);
	list_add_tail(&p->all_node, &all_processes);
}

int process_for_each(int (*f)(struct process *p, void *arg), void *arg)
{
	struct process *p;
	int ret;

	guard_irqsave(&proc_tree_lock);
	list_for_each_entry(p, &all_processes, all_node) {
		ret = f(p, arg);
		if (ret)
			return ret;
	}
	return 0;
}

size_t proc_count_live(void)
{
	return (size_t)__atomic_load_n(&live_processes, __ATOMIC_RELAXED);
}

size_t task_count_live(void)
{
	return (size_t)__atomic_load_n(&live_tasks, __ATOMIC_RELAXED);
}
