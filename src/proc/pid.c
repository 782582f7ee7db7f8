/*
 * Process and thread ids: a bitmap allocator (ids 1..PID_MAX-1, handed out
 * cyclically as Linux does) and two hash tables, tid -> task and
 * pid -> process. Tables hold no references: an object is unhashed when it
 * dies (task) or is reaped (process), and lookups take a reference with
 * ref_get_unless_zero under pid_lock.
 * Lock: pid_lock (innermost: taken under proc_tree_lock and process locks).
 */
#include <ferrite/errno.h>
#include <ferrite/task.h>
#include "proc_internal.h"

#define PID_HASH_SIZE 256

static struct spinlock pid_lock = SPINLOCK_INIT("pid");
static uint64_t pid_bitmap[PID_MAX / 64]; /* Lock: pid_lock */
static pid_t pid_next = 1;                /* Lock: pid_lock */
static struct list_head task_table[PID_HASH_SIZE];    /* Lock: pid_lock */
static struct list_head process_table[PID_HASH_SIZE]; /* Lock: pid_lock */
static bool tables_ready;                             /* Lock: pid_lock */

static void tables_init_locked(void)
{
	if (tables_ready)
		return;
	for (int i = 0; i < PID_HASH_SIZE; i++) {
		list_init(&task_table[i]);
		list_init(&process_table[i]);
	}
	tables_ready = true;
}

pid_t pid_alloc(void)
{
	guard_irqsave(&pid_lock);
	for (int n = 1; n < PID_MAX; n++) {
		pid_t pid = pid_next;
		pid_next = pid_next + 1 >= PID_MAX ? 2 : pid_next + 1;
		if (!(pid_bitmap[pid / 64] & (1ULL << (pid % 64)))) {
			pid_bitmap[pid / 64] |= 1ULL << (pid % 64);
			return pid;
		}
	}
	return -EAGAIN;
}

pid_t pid_alloc_exact(pid_t pid)
{
	guard_irqsave(&pid_lock);
	if (pid_bitmap[pid / 64] & (1ULL << (pid % 64)))
		return -EEXIST;
	pid_bitmap[pid / 64] |= 1ULL << (pid % 64);
	return pid;
}

void pid_free(pid_t pid)
{
	if (pid <= 0 || pid >= PID_MAX)
		return;
	guard_irqsave(&pid_lock);
	pid_bitmap[pid / 64] &= ~(1ULL << (pid % 64));
}

void task_hash(struct task *t)
{
	guard_irqsave(&pid_lock);
	tables_init_locked();
	list_add(&t->hash_node, &task_table[t->tid % PID_HASH_SIZE]);
}

void task_unhash(struct task *t)
{
	guard_irqsave(&pid_lock);
	if (!list_empty(&t->hash_node))
		list_del(&t->hash_node);
}

void process_hash(struct process *p)
{
	guard_irqsave(&pid_lock);
	tables_init_locked();
	list_add(&p->hash_node, &process_table[p->pid % PID_HASH_SIZE]);
}

void process_unhash(struct process *p)
{
	guard_irqsave(&pid_lock);
	if (!list_empty(&p->hash_node))
		list_del(&p->hash_node);
}

struct task *task_find(pid_t tid)
{
	struct task *t;

	if (tid <= 0)
		return NULL;
	guard_irqsave(&pid_lock);
	tables_init_locked();
	list_for_each_entry(t, &task_table[tid % PID_HASH_SIZE], hash_node)
		if (t->tid == tid && ref_get_unless_zero(&t->ref))
			return t;
	return NULL;
}

struct process *process_find(pid_t pid)
{
	struct process *p;

	if (pid <= 0)
		return NULL;
	guard_irqsave(&pid_lock);
	tables_init_locked();
	list_for_each_entry(p, &process_table[pid % PID_HASH_SIZE], hash_node)
		if (p->pid == pid && ref_get_unless_zero(&p->ref))
			return p;
	return NULL;
}
