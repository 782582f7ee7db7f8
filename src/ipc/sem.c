/*
 * System V semaphores: semget, semop/semtimedop and the SEM_UNDO exit hook
 * (semctl is in sem_ctl.c).
 *
 * Lock: set->perm.lock guards the values, counters and undo records. An
 * operation array is applied by sem_apply_ops() with that lock held, so it
 * happens entirely or not at all. A caller that must wait sleeps on
 * set->waiters and retries from the wait condition; every change to a set
 * wakes all of its sleepers (values are few and sleepers re-check cheaply).
 * IPC_RMID marks the set deleted and wakes everyone: the retry returns
 * -EIDRM.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include <ferrite/uaccess.h>
#include <hal/hal_timer.h>
#include <uapi/time.h>
#include "sysv_sem.h"

size_t sem_total_count;

/* ---- the pure atomic step ---- */

int sem_apply_ops(struct sem *sems, const struct sembuf *sops, int nsops, short *adj,
		  pid_t pid, int *blocker)
{
	int i, ret = 0;

	for (i = 0; i < nsops; i++) {
		const struct sembuf *op = &sops[i];
		struct sem *s = &sems[op->sem_num];
		int result = s->semval;

		if ((op->sem_op == 0 && result != 0) || result + op->sem_op < 0) {
			*blocker = i;
			ret = (op->sem_flg & IPC_NOWAIT) ? -EAGAIN : SEM_WOULD_BLOCK;
			break;
		}
		result += op->sem_op;
		if (result > SEMVMX) {
			ret = -ERANGE;
			break;
		}
		if (op->sem_flg & SEM_UNDO) {
			int undo = adj[op->sem_num] - op->sem_op;
			if (undo < -SEMAEM - 1 || undo > SEMAEM) {
				ret = -ERANGE;
				break;
			}
			adj[op->sem_num] = (short)undo;
		}
		s->semval = result;
	}
	if (ret) {
		/* Roll back ops 0..i-1, newest first. */
		while (--i >= 0) {
			sems[sops[i].sem_num].semval -= sops[i].sem_op;
			if (sops[i].sem_flg & SEM_UNDO)
				adj[sops[i].sem_num] += sops[i].sem_op;
		}
		return ret;
	}
	for (i = 0; i < nsops; i++)
		sems[sops[i].sem_num].sempid = pid;
	return 0;
}

/* ---- objects ---- */

static void sem_set_release(struct kern_ipc_perm *perm)
{
	struct sem_set *set = container_of(perm, struct sem_set, perm);
	struct sem_undo *u, *n;

	list_for_each_entry_safe(u, n, &set->undos, node) {
		list_del(&u->node);
		kfree(u);
	}
	__atomic_fetch_sub(&sem_total_count, (size_t)set->nsems, __ATOMIC_RELAXED);
	kfree(set);
}

static void sem_set_discard(struct kern_ipc_perm *perm)
{
	kfree(container_of(perm, struct sem_set, perm));
}

static struct kern_ipc_perm *sem_set_alloc(const void *params)
{
	int nsems = *(const int *)params;

	if (nsems <= 0)
		return ERR_PTR(-EINVAL);
	struct sem_set *set = kzalloc(sizeof(*set) + (size_t)nsems * sizeof(struct sem));
	if (!set)
		return ERR_PTR(-ENOMEM);
	set->nsems = nsems;
	set->ctime = ipc_now();
	list_init(&set->undos);
	waitqueue_init(&set->waiters);
	set->perm.release = sem_set_release;
	__atomic_fetch_add(&sem_total_count, (size_t)nsems, __ATOMIC_RELAXED);
	return &set->perm;
}

static int sem_check_existing(struct kern_ipc_perm *perm, const void *params)
{
	struct sem_set *set = container_of(perm, struct sem_set, perm);

	return *(const int *)params > set->nsems ? -EINVAL : 0;
}

static void sem_set_discard_counted(struct kern_ipc_perm *perm)
{
	struct sem_set *set = container_of(perm, struct sem_set, perm);

	__atomic_fetch_sub(&sem_total_count, (size_t)set->nsems, __ATOMIC_RELAXED);
	sem_set_discard(perm);
}

static const struct ipc_ops sem_ops = {
	.alloc = sem_set_alloc,
	.discard = sem_set_discard_counted,
	.check_existing = sem_check_existing,
};

long sys_semget(key_t key, int nsems, int semflg)
{
	if (nsems < 0 || nsems > SEMMSL)
		return -EINVAL;
	return ipc_get(&sem_ids, key, semflg, &sem_ops, &nsems);
}

struct sem_set *sem_set_lookup(int semid, unsigned access)
{
	struct kern_ipc_perm *perm = ipc_lookup(&sem_ids, semid);

	if (IS_ERR(perm))
		return (struct sem_set *)perm;
	int err = access ? ipc_perm_check(perm, access) : 0;
	if (err) {
		ipc_obj_put(perm);
		return ERR_PTR(err);
	}
	return container_of(perm, struct sem_set, perm);
}

struct sem_undo *sem_undo_find_locked(struct sem_set *set, struct process *proc)
{
	struct sem_undo *u;

	assert_locked(&set->perm.lock);
	list_for_each_entry(u, &set->undos, node)
		if (u->proc == proc)
			return u;
	return NULL;
}

static struct process *current_proc(void)
{
	return current ? current->proc : NULL;
}

/* Make sure current has an undo record in set. 0, -ENOMEM or -EIDRM. */
static int sem_undo_prepare(struct sem_set *set)
{
	struct process *proc = current_proc();
	__free(kfree) struct sem_undo *fresh =
		kzalloc(sizeof(*fresh) + (size_t)set->nsems * sizeof(short));

	if (!fresh)
		return -ENOMEM;
	guard(spinlock)(&set->perm.lock);
	if (set->perm.deleted)
		return -EIDRM;
	if (!sem_undo_find_locked(set, proc)) {
		fresh->proc = proc;
		list_add(&fresh->node, &set->undos);
		(void)take_ptr(fresh);
	}
	return 0;
}

/* A sleeper's place in the ncnt/zcnt counts. */
struct sem_waiter {
	struct sem *counted; /* NULL when not counted */
	bool zero;           /* counted in zcnt rather than ncnt */
};

static void sem_uncount_locked(struct sem_waiter *w)
{
	if (!w->counted)
		return;
	if (w->zero)
		w->counted->zcnt--;
	else
		w->counted->ncnt--;
	w->counted = NULL;
}

/* One attempt at the whole array. 0, SEM_WOULD_BLOCK (counted in w) or
 * -errno. */
static int sem_try(struct sem_set *set, const struct sembuf *sops, int nsops, bool undo,
		   struct sem_waiter *w)
{
	int blocker = 0, ret;
	bool changed = false;

	spin_lock(&set->perm.lock);
	if (set->perm.deleted) {
		spin_unlock(&set->perm.lock);
		return -EIDRM;
	}
	short *adj = NULL;
	if (undo) {
		struct sem_undo *u = sem_undo_find_locked(set, current_proc());
		if (!u) { /* only sem_exit of this very process removes it */
			spin_unlock(&set->perm.lock);
			return -EIDRM;
		}
		adj = u->adj;
	}
	ret = sem_apply_ops(set->sems, sops, nsops, adj, ipc_current_pid(), &blocker);
	sem_uncount_locked(w);
	if (ret == SEM_WOULD_BLOCK) {
		w->counted = &set->sems[sops[blocker].sem_num];
		w->zero = sops[blocker].sem_op == 0;
		if (w->zero)
			w->counted->zcnt++;
		else
			w->counted->ncnt++;
	} else if (ret == 0) {
		set->otime = ipc_now();
		for (int i = 0; i < nsops; i++)
			changed |= sops[i].sem_op != 0;
	}
	/* Waiters test their condition under perm.lock after queueing: one
	 * not seen here sees the change. */
	changed = changed && waitqueue_active(&set->waiters);
	spin_unlock(&set->perm.lock);
	if (changed)
		wake_up_all(&set->waiters);
	return ret;
}

/* The body of semop/semtimedop once the arguments are in the kernel.
 * deadline_ns: monotonic, 0 for none. */
static long sem_do_semop(int semid, const struct sembuf *sops, int nsops, uint64_t deadline_ns)
{
	unsigned max_num = 0;
	bool undo = false, alter = false;

	for (int i = 0; i < nsops; i++) {
		max_num = MAX(max_num, sops[i].sem_num);
		undo |= (sops[i].sem_flg & SEM_UNDO) != 0;
		alter |= sops[i].sem_op != 0;
	}
	struct sem_set *set = sem_set_lookup(semid, 0);
	if (IS_ERR(set))
		return PTR_ERR(set);
	long ret;
	if (max_num >= (unsigned)set->nsems)
		ret = -EFBIG;
	else
		ret = ipc_perm_check(&set->perm, alter ? 0222 : 0444);
	if (!ret && undo)
		ret = sem_undo_prepare(set);
	if (ret) {
		ipc_obj_put(&set->perm);
		return ret;
	}

	struct sem_waiter w = { NULL, false };
	int r = sem_try(set, sops, nsops, undo, &w);
	if (r == SEM_WOULD_BLOCK) {
		long err = wait_event_timeout_interruptible(
			&set->waiters, (r = sem_try(set, sops, nsops, undo, &w)) != SEM_WOULD_BLOCK,
			deadline_ns);
		if (err) {
			scoped_guard(spinlock, &set->perm.lock)
				sem_uncount_locked(&w);
			r = err == -ETIMEDOUT ? -EAGAIN : -EINTR;
		}
	}
	ipc_obj_put(&set->perm);
	return r;
}

#define SEM_SMALL_OPS 8

long sys_semtimedop(int semid, struct sembuf __user *tsops, unsigned nsops,
		    const struct timespec __user *timeout)
{
	uint64_t deadline = 0;

	if (nsops < 1 || semid < 0)
		return -EINVAL;
	if (nsops > SEMOPM)
		return -E2BIG;
	/* The common few-op call keeps its copy on the kernel stack. */
	struct sembuf small[SEM_SMALL_OPS];
	__free(kfree) struct sembuf *heap = nsops > SEM_SMALL_OPS ? kmalloc(nsops * sizeof(*heap)) : NULL;
	struct sembuf *sops = nsops > SEM_SMALL_OPS ? heap : small;
	if (!sops)
		return -ENOMEM;
	if (copy_from_user(sops, tsops, nsops * sizeof(*sops)))
		return -EFAULT;
	if (timeout) {
		struct timespec ts;
		if (copy_from_user(&ts, timeout, sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		if (ts.tv_sec > (long)(~0ull / 2 / 1000000000ull))
			ns = ~0ull / 2;
		deadline = hal_time_ns() + ns;
		if (!deadline)
			deadline = 1;
	}
	return sem_do_semop(semid, sops, (int)nsops, deadline);
}

long sys_semop(int semid, struct sembuf __user *tsops, unsigned nsops)
{
	return sys_semtimedop(semid, tsops, nsops, NULL);
}

/* ---- exit ---- */

/* Apply and drop proc's undo record in set, if any. */
static void sem_undo_apply(struct sem_set *set, struct process *proc)
{
	struct sem_undo *u;

	scoped_guard(spinlock, &set->perm.lock) {
		u = sem_undo_find_locked(set, proc);
		if (!u)
			return;
		list_del(&u->node);
		for (int i = 0; i < set->nsems; i++) {
			if (!u->adj[i])
				continue;
			int v = set->sems[i].semval + u->adj[i];
			set->sems[i].semval = v < 0 ? 0 : v > SEMVMX ? SEMVMX : v;
			set->sems[i].sempid = proc->pid;
		}
		set->otime = ipc_now();
	}
	kfree(u);
	wake_up_all(&set->waiters);
}

void sem_exit(struct process *proc)
{
	int max = ipc_max_idx(&sem_ids);

	for (int idx = 0; idx <= max; idx++) {
		struct kern_ipc_perm *perm = ipc_lookup_index(&sem_ids, idx);
		if (IS_ERR(perm))
			continue;
		sem_undo_apply(container_of(perm, struct sem_set, perm), proc);
		ipc_obj_put(perm);
	}
}
