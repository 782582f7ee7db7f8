/*
 * System V IPC inside the kernel (src/ipc/ipc_util.c, shm.c, msg.c, sem.c).
 *
 * Each kind (shm, msg, sem) has one registry, struct ipc_ids, mapping ids
 * and keys to objects. Every object embeds a struct kern_ipc_perm (found
 * again with container_of) holding its key, owner, mode, its lock and its
 * reference count. The registry holds one reference while the object is
 * listed; each lookup returns a new reference, so an object removed while
 * a caller sleeps on it stays valid until that caller's put.
 *
 * An id is seq * IPCMNI + slot index; the sequence number advances with
 * every creation, so a reused slot gives a different id.
 *
 * Lock order: ipc_ids->lock -> kern_ipc_perm->lock -> waitqueue lock.
 * The hooks at the bottom are for src/proc (fork, execve, exit).
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/list.h>
#include <ferrite/ref.h>
#include <ferrite/spinlock.h>
#include <uapi/ipc.h>

struct mm;
struct process;

enum ipc_kind { IPC_KIND_SHM, IPC_KIND_MSG, IPC_KIND_SEM, IPC_KIND_COUNT };

struct kern_ipc_perm {
	struct spinlock lock; /* guards this header and the object's state */
	struct ref ref;
	bool deleted;   /* Lock: lock; removed from the registry (IPC_RMID) */
	int id;         /* fixed once listed */
	key_t key;      /* Lock: ids->lock (shm RMID turns it IPC_PRIVATE) */
	uid_t uid, cuid; /* Lock: lock */
	gid_t gid, cgid; /* Lock: lock */
	unsigned mode;   /* Lock: lock; low 9 bits: rwx for user, group, other */
	unsigned short seq;
	enum ipc_kind kind;
	/* Free the object on the last put (the kind's destructor). */
	void (*release)(struct kern_ipc_perm *perm);
};

struct ipc_ids {
	struct spinlock lock;
	enum ipc_kind kind;
	int limit;                    /* SHMMNI / MSGMNI / SEMMNI */
	int in_use;                   /* Lock: lock */
	int max_idx;                  /* Lock: lock; highest used slot or -1 */
	unsigned short seq;           /* Lock: lock; next sequence number */
	int nslots;                   /* Lock: lock; size of slots */
	struct kern_ipc_perm **slots; /* Lock: lock; grown on demand */
};

#define IPC_IDS_INIT(name, k, lim) { SPINLOCK_INIT(#name), (k), (lim), 0, -1, 0, 0, NULL }

/* How ipc_get() makes a new object and checks an existing one. */
struct ipc_ops {
	/* Return: a new, unlisted object with its kind fields set (ipc_get
	 * fills the perm header and its refcount), or ERR_PTR(-errno). */
	struct kern_ipc_perm *(*alloc)(const void *params);
	/* Free an object alloc() made that never got listed. */
	void (*discard)(struct kern_ipc_perm *perm);
	/* Extra checks on an object found by key (shm size, sem count). */
	int (*check_existing)(struct kern_ipc_perm *perm, const void *params);
};

/*
 * shmget/msgget/semget: find key (or make a new object for IPC_PRIVATE or
 * IPC_CREAT), applying IPC_EXCL, the mode-bit check and ops->check_existing.
 * flg: the user's flags (low 9 bits are the mode). Return the id or -errno.
 */
int ipc_get(struct ipc_ids *ids, key_t key, int flg, const struct ipc_ops *ops,
	    const void *params);
/* Return: new reference to the listed object with that id, or
 * ERR_PTR(-EINVAL). */
struct kern_ipc_perm *ipc_lookup(struct ipc_ids *ids, int id);
/* Return: new reference to the object in slot idx (the *_STAT commands),
 * or ERR_PTR(-EINVAL). */
struct kern_ipc_perm *ipc_lookup_index(struct ipc_ids *ids, int idx);
/*
 * The lookup behind IPC_STAT and the *_STAT / *_STAT_ANY commands: IPC_STAT
 * names an object by id, the others by slot index (by_index) and return its
 * id. Read permission is checked unless stat_any. Return: new reference (and
 * in *ret what the syscall returns on success) or ERR_PTR(-errno).
 */
struct kern_ipc_perm *ipc_stat_lookup(struct ipc_ids *ids, int id, bool by_index, bool stat_any,
				      long *ret);
void ipc_obj_get(struct kern_ipc_perm *perm);
/* Drop a reference; the last one calls perm->release. */
void ipc_obj_put(struct kern_ipc_perm *perm);
/* Unlist perm (sets perm->deleted) and drop the registry's reference.
 * Caller holds its own reference. Returns false when already unlisted. */
bool ipc_rmid(struct ipc_ids *ids, struct kern_ipc_perm *perm);
/* Keep perm listed but make its key IPC_PRIVATE (shm deferred removal). */
void ipc_make_private(struct ipc_ids *ids, struct kern_ipc_perm *perm);
/* Highest used slot (the *_INFO return value) and the number in use. */
int ipc_max_idx(struct ipc_ids *ids);
int ipc_in_use(struct ipc_ids *ids);

/* Permission check of the current process: access is a mode mask
 * (0444 read, 0222 write, 0666 both). 0 or -EACCES (uid 0 passes). */
int ipc_perm_check(struct kern_ipc_perm *perm, unsigned access);
/* IPC_SET/IPC_RMID: current euid must be uid, cuid or 0. 0 or -EPERM. */
int ipc_owner_check(struct kern_ipc_perm *perm);
/* Copy the header out / apply IPC_SET's uid, gid and mode. Lock: perm->lock
 * held by the caller. */
void ipc_perm_to_user(const struct kern_ipc_perm *perm, struct ipc64_perm *out);
void ipc_perm_set(struct kern_ipc_perm *perm, const struct ipc64_perm *in);

/* Credentials of the caller and wall-clock seconds, for the *_ds fields. */
uid_t ipc_current_euid(void);
gid_t ipc_current_egid(void);
pid_t ipc_current_pid(void);
long ipc_now(void);

/* Live objects of a kind (listed, or removed but still referenced):
 * leak checks compare this before and after a test. */
size_t ipc_count_live(enum ipc_kind kind);
/* Called by each kind when an object is created / finally freed. */
void ipc_live_inc(enum ipc_kind kind);
void ipc_live_dec(enum ipc_kind kind);

/* Registries (one per kind). */
extern struct ipc_ids shm_ids, msg_ids, sem_ids;

/* ---- hooks for src/proc ---- */

/*
 * fork: call after mm_fork(parent_mm) made child_mm (which copied the shm
 * VMAs): records the child's attachments and raises each segment's
 * shm_nattch. 0 or -ENOMEM (the child should then be torn down).
 */
int shm_fork_attachments(struct mm *parent_mm, struct mm *child_mm);
/*
 * execve and exit: call once for an address space that is being given up
 * for good (before its last mm_put; not for a CLONE_VM sibling that still
 * uses it). Drops every attachment of mm, lowering shm_nattch and
 * destroying segments removed with IPC_RMID whose count reaches 0.
 * The VMAs themselves go with the mm.
 */
void shm_exit(struct mm *mm);
/*
 * exit: apply and free the SEM_UNDO adjustments proc recorded (Linux's
 * exit_sem). Call once when the process exits (after its last thread).
 */
void sem_exit(struct process *proc);

/* Number of attachments recorded for mm (tests, /proc). */
size_t shm_attach_count(struct mm *mm);
