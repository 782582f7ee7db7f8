/*
 * System V semaphore sets, private to src/ipc/sem*.c and the host test.
 * Lock: everything in a set below perm is guarded by set->perm.lock.
 */
#pragma once
#include <ferrite/ipc.h>
#include <ferrite/waitqueue.h>

struct process;

struct sem {
	int semval;   /* 0..SEMVMX */
	pid_t sempid; /* last process to change it */
	int ncnt;     /* sleepers waiting for it to grow */
	int zcnt;     /* sleepers waiting for it to be 0 */
};

/* SEM_UNDO adjustments of one process for one set. */
struct sem_undo {
	struct list_head node; /* in sem_set.undos */
	struct process *proc;  /* owner; borrowed (sem_exit removes us) */
	short adj[];           /* per semaphore, -(SEMAEM+1)..SEMAEM */
};

struct sem_set {
	struct kern_ipc_perm perm;
	long otime, ctime;       /* Lock: perm.lock */
	int nsems;               /* fixed */
	struct list_head undos;  /* Lock: perm.lock */
	struct waitqueue waiters; /* semop sleepers; woken on every change */
	struct sem sems[];       /* Lock: perm.lock */
};

/* Result of sem_apply_ops beyond 0 and -errno: nothing done, must wait. */
#define SEM_WOULD_BLOCK 1

/*
 * Pure: apply nsops operations to sems atomically. Every sem_num must be
 * below nsems. adj: the caller's undo adjustments (updated for SEM_UNDO
 * ops), or NULL when no op has SEM_UNDO. pid: recorded in sempid.
 * Return 0 (all applied), SEM_WOULD_BLOCK with *blocker = index of the op
 * that must wait, -EAGAIN (that op had IPC_NOWAIT) or -ERANGE (a value or
 * an adjustment out of range). On any non-zero return nothing changed.
 */
int sem_apply_ops(struct sem *sems, const struct sembuf *sops, int nsops, short *adj,
		  pid_t pid, int *blocker);

/* Return: new reference to set semid after the access check (0444, 0222,
 * 0 none), or ERR_PTR. */
struct sem_set *sem_set_lookup(int semid, unsigned access);
/* Return: the undo record of proc in set, or NULL. Lock: set->perm.lock. */
struct sem_undo *sem_undo_find_locked(struct sem_set *set, struct process *proc);
/* Total semaphores in every set (SEM_INFO, atomic). */
extern size_t sem_total_count;
