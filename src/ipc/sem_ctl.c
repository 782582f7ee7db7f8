/*
 * semctl: GETVAL, GETPID, GETNCNT, GETZCNT, GETALL, SETVAL, SETALL,
 * IPC_STAT, SEM_STAT(_ANY), IPC_SET, IPC_RMID, IPC_INFO, SEM_INFO.
 * Lock: values are read and written under set->perm.lock; user copies
 * happen with no lock held. Setting a value clears every process's undo
 * adjustment for it (as Linux does) and wakes the sleepers.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include "sysv_sem.h"

static long sem_info(int cmd, struct seminfo __user *buf)
{
	struct seminfo info = {
		.semmap = SEMMAP, .semmni = SEMMNI, .semmns = SEMMNS, .semmnu = SEMMNU,
		.semmsl = SEMMSL, .semopm = SEMOPM, .semume = SEMUME, .semusz = SEMUSZ,
		.semvmx = SEMVMX, .semaem = SEMAEM,
	};

	if (cmd == SEM_INFO) {
		info.semusz = ipc_in_use(&sem_ids);
		info.semaem = (int)__atomic_load_n(&sem_total_count, __ATOMIC_RELAXED);
	}
	if (copy_to_user(buf, &info, sizeof(info)))
		return -EFAULT;
	return ipc_max_idx(&sem_ids);
}

static long sem_stat(int semid, int cmd, struct semid64_ds __user *buf)
{
	struct kern_ipc_perm *perm;
	struct semid64_ds ds;
	long ret = 0;

	perm = ipc_stat_lookup(&sem_ids, semid, cmd != IPC_STAT, cmd == SEM_STAT_ANY, &ret);
	if (IS_ERR(perm))
		return PTR_ERR(perm);
	struct sem_set *set = container_of(perm, struct sem_set, perm);
	memset(&ds, 0, sizeof(ds));
	scoped_guard(spinlock, &perm->lock) {
		ipc_perm_to_user(perm, &ds.sem_perm);
		ds.sem_otime = set->otime;
		ds.sem_ctime = set->ctime;
		ds.sem_nsems = (unsigned long)set->nsems;
	}
	ipc_obj_put(perm);
	if (copy_to_user(buf, &ds, sizeof(ds)))
		return -EFAULT;
	return ret;
}

/* GETVAL, GETPID, GETNCNT, GETZCNT. */
static long sem_get_one(struct sem_set *set, int semnum, int cmd)
{
	if (semnum < 0 || semnum >= set->nsems)
		return -EINVAL;
	guard(spinlock)(&set->perm.lock);
	struct sem *s = &set->sems[semnum];
	switch (cmd) {
	case GETVAL:
		return s->semval;
	case GETPID:
		return s->sempid;
	case GETNCNT:
		return s->ncnt;
	default:
		return s->zcnt;
	}
}

static long sem_get_all(struct sem_set *set, unsigned short __user *array)
{
	size_t bytes = (size_t)set->nsems * sizeof(unsigned short);
	__free(kfree) unsigned short *vals = kmalloc(bytes);

	if (!vals)
		return -ENOMEM;
	scoped_guard(spinlock, &set->perm.lock) {
		if (set->perm.deleted)
			return -EIDRM;
		for (int i = 0; i < set->nsems; i++)
			vals[i] = (unsigned short)set->sems[i].semval;
	}
	return copy_to_user(array, vals, bytes) ? -EFAULT : 0;
}

/* Set values (all when semnum < 0) with the lock held; clear adjustments. */
static void sem_store_locked(struct sem_set *set, int semnum, const unsigned short *vals, int val)
{
	struct sem_undo *u;
	pid_t pid = ipc_current_pid();

	for (int i = 0; i < set->nsems; i++) {
		if (semnum >= 0 && i != semnum)
			continue;
		set->sems[i].semval = semnum >= 0 ? val : vals[i];
		set->sems[i].sempid = pid;
		list_for_each_entry(u, &set->undos, node)
			u->adj[i] = 0;
	}
	set->ctime = ipc_now();
}

static long sem_set_val(struct sem_set *set, int semnum, int val)
{
	if (semnum < 0 || semnum >= set->nsems)
		return -EINVAL;
	if (val < 0 || val > SEMVMX)
		return -ERANGE;
	scoped_guard(spinlock, &set->perm.lock) {
		if (set->perm.deleted)
			return -EIDRM;
		sem_store_locked(set, semnum, NULL, val);
	}
	wake_up_all(&set->waiters);
	return 0;
}

static long sem_set_all(struct sem_set *set, const unsigned short __user *array)
{
	size_t bytes = (size_t)set->nsems * sizeof(unsigned short);
	__free(kfree) unsigned short *vals = kmalloc(bytes);

	if (!vals)
		return -ENOMEM;
	if (copy_from_user(vals, array, bytes))
		return -EFAULT;
	for (int i = 0; i < set->nsems; i++)
		if (vals[i] > SEMVMX)
			return -ERANGE;
	scoped_guard(spinlock, &set->perm.lock) {
		if (set->perm.deleted)
			return -EIDRM;
		sem_store_locked(set, -1, vals, 0);
	}
	wake_up_all(&set->waiters);
	return 0;
}

static long sem_ipc_set(struct sem_set *set, const struct semid64_ds __user *buf)
{
	struct semid64_ds ds;

	if (copy_from_user(&ds, buf, sizeof(ds)))
		return -EFAULT;
	guard(spinlock)(&set->perm.lock);
	ipc_perm_set(&set->perm, &ds.sem_perm);
	set->ctime = ipc_now();
	return 0;
}

long sys_semctl(int semid, int semnum, int cmd, unsigned long arg)
{
	void __user *ptr = (void __user *)arg;

	if (semid < 0 || cmd < 0)
		return -EINVAL;
	cmd &= ~IPC_64;
	switch (cmd) {
	case IPC_INFO:
	case SEM_INFO:
		return sem_info(cmd, ptr);
	case IPC_STAT:
	case SEM_STAT:
	case SEM_STAT_ANY:
		return sem_stat(semid, cmd, ptr);
	case GETVAL: case GETPID: case GETNCNT: case GETZCNT: case GETALL:
	case SETVAL: case SETALL: case IPC_SET: case IPC_RMID:
		break;
	default:
		return -EINVAL;
	}

	struct sem_set *set = sem_set_lookup(semid, 0);
	if (IS_ERR(set))
		return PTR_ERR(set);
	long ret;
	switch (cmd) {
	case GETVAL: case GETPID: case GETNCNT: case GETZCNT: case GETALL:
		ret = ipc_perm_check(&set->perm, 0444);
		if (!ret)
			ret = cmd == GETALL ? sem_get_all(set, ptr) : sem_get_one(set, semnum, cmd);
		break;
	case SETVAL:
	case SETALL:
		ret = ipc_perm_check(&set->perm, 0222);
		if (!ret)
			ret = cmd == SETALL ? sem_set_all(set, ptr) : sem_set_val(set, semnum, (int)arg);
		break;
	default: /* IPC_SET, IPC_RMID */
		ret = ipc_owner_check(&set->perm);
		if (ret)
			break;
		if (cmd == IPC_SET) {
			ret = sem_ipc_set(set, ptr);
		} else {
			ipc_rmid(&sem_ids, &set->perm);
			wake_up_all(&set->waiters);
		}
		break;
	}
	ipc_obj_put(&set->perm);
	return ret;
}
