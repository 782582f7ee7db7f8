/*
 * Kernel threads: tasks of kernel_process with no user half. They share the
 * kernel's (empty) fd table and run until fn returns. No locking of their
 * own; see task.c and sched.c.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include "proc_internal.h"

struct kthread_start {
	void (*fn)(void *);
	void *arg;
};

static void kthread_entry(void *raw)
{
	struct kthread_start start = *(struct kthread_start *)raw;

	kfree(raw);
	sched_finish_switch();
	start.fn(start.arg);
	task_exit(0);
}

struct task *kthread_create(const char *name, void (*fn)(void *), void *arg)
{
	struct kthread_start *start = kmalloc(sizeof(*start));
	struct task *t;
	pid_t tid;

	(void)name;
	if (!start)
		return ERR_PTR(-ENOMEM);
	tid = pid_alloc();
	if (tid < 0) {
		kfree(start);
		return ERR_PTR(tid);
	}
	t = task_alloc(&kernel_process);
	if (!t) {
		pid_free(tid);
		kfree(start);
		return ERR_PTR(-ENOMEM);
	}
	start->fn = fn;
	start->arg = arg;
	t->tid = tid;
	t->is_kthread = true;
	task_hash(t);
	process_add_thread(&kernel_process, t);
	task_start(t, kthread_entry, start);
	return t;
}
