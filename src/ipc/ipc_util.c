/*
 * System V IPC registries shared by shm, msg and sem: id allocation with
 * sequence numbers, key lookup, ipc_get() (IPC_PRIVATE / IPC_CREAT /
 * IPC_EXCL), permission and owner checks, reference counting.
 *
 * Lock: ids->lock guards the slot table, key lookups and the counters; it
 * is taken before any object's perm->lock. kmalloc never sleeps, so the
 * table grows with the lock held.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/ipc.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <hal/hal_timer.h>

#define IPC_SEQ_MAX (0x7fffffff / IPCMNI) /* ids stay positive ints */

struct ipc_ids shm_ids = IPC_IDS_INIT(shm_ids, IPC_KIND_SHM, SHMMNI);
struct ipc_ids msg_ids = IPC_IDS_INIT(msg_ids, IPC_KIND_MSG, MSGMNI);
struct ipc_ids sem_ids = IPC_IDS_INIT(sem_ids, IPC_KIND_SEM, SEMMNI);

static size_t live_count[IPC_KIND_COUNT]; /* atomic */

size_t ipc_count_live(enum ipc_kind kind)
{
	return kind < IPC_KIND_COUNT ? __atomic_load_n(&live_count[kind], __ATOMIC_RELAXED) : 0;
}

void ipc_live_inc(enum ipc_kind kind) { __atomic_fetch_add(&live_count[kind], 1, __ATOMIC_RELAXED); }
void ipc_live_dec(enum ipc_kind kind) { __atomic_fetch_sub(&live_count[kind], 1, __ATOMIC_RELAXED); }

/* ---- credentials and time ---- */

static struct process *current_proc(void)
{
	struct task *t = current;

	return t ? t->proc : NULL;
}

uid_t ipc_current_euid(void)
{
	struct process *p = current_proc();

	return p ? p->euid : 0;
}

gid_t ipc_current_egid(void)
{
	struct process *p = current_proc();

	return p ? p->egid : 0;
}

pid_t ipc_current_pid(void)
{
	struct process *p = current_proc();

	return p ? p->pid : 0;
}

long ipc_now(void)
{
	return (long)((hal_boot_realtime_ns() + hal_time_ns()) / 1000000000ull);
}

/* ---- permissions ---- */

int ipc_perm_check(struct kern_ipc_perm *perm, unsigned access)
{
	uid_t euid = ipc_current_euid();
	struct cred c = { euid, ipc_current_egid() };
	unsigned requested = (access >> 6 | access >> 3 | access) & 07;
	unsigned granted;
	bool owner;
	gid_t gid, cgid;

	scoped_guard(spinlock, &perm->lock) {
		granted = perm->mode;
		owner = euid == perm->uid || euid == perm->cuid;
		gid = perm->gid, cgid = perm->cgid;
	}
	/* Group: the effective gid or a supplementary one (Linux's ipcperms
	 * with in_group_p), looked up outside perm->lock. */
	if (owner)
		granted >>= 6;
	else if (cred_in_group(&c, gid) || cred_in_group(&c, cgid))
		granted >>= 3;
	if ((requested & ~granted & 07) && euid != 0)
		return -EACCES;
	return 0;
}

int ipc_owner_check(struct kern_ipc_perm *perm)
{
	uid_t euid = ipc_current_euid();
	guard(spinlock)(&perm->lock);

	if (euid == 0 || euid == perm->uid || euid == perm->cuid)
		return 0;
	return -EPERM;
}

void ipc_perm_to_user(const struct kern_ipc_perm *perm, struct ipc64_perm *out)
{
	memset(out, 0, sizeof(*out));
	out->key = perm->key;
	out->uid = perm->uid;
	out->gid = perm->gid;
	out->cuid = perm->cuid;
	out->cgid = perm->cgid;
	out->mode = perm->mode;
	out->seq = perm->seq;
}

void ipc_perm_set(struct kern_ipc_perm *perm, const struct ipc64_perm *in)
{
	perm->uid = in->uid;
	perm->gid = in->gid;
	perm->mode = (perm->mode & ~0777u) | (in->mode & 0777u);
}

/* ---- references ---- */

void ipc_obj_get(struct kern_ipc_perm *perm) { ref_get(&perm->ref); }

static void ipc_release(struct ref *r)
{
	struct kern_ipc_perm *perm = container_of(r, struct kern_ipc_perm, ref);
	enum ipc_kind kind = perm->kind;

	perm->release(perm);
	ipc_live_dec(kind);
}

void ipc_obj_put(struct kern_ipc_perm *perm) { ref_put(&perm->ref, ipc_release); }

/* ---- the slot table ---- */

static int id_to_index(int id) { return id % IPCMNI; }

/* Return: the listed object with key, or NULL. Lock: ids->lock. */
static struct kern_ipc_perm *find_key_locked(struct ipc_ids *ids, key_t key)
{
	assert_locked(&ids->lock);
	for (int i = 0; i <= ids->max_idx; i++) {
		struct kern_ipc_perm *p = ids->slots[i];
		if (p && p->key == key)
			return p;
	}
	return NULL;
}

/* Make room for one more object. 0, -ENOSPC or -ENOMEM. Lock: ids->lock. */
static int grow_locked(struct ipc_ids *ids)
{
	if (ids->in_use >= ids->limit)
		return -ENOSPC;
	if (ids->in_use < ids->nslots)
		return 0;
	int n = ids->nslots ? MIN(ids->nslots * 2, ids->limit) : MIN(64, ids->limit);
	struct kern_ipc_perm **s = kcalloc((size_t)n, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (ids->slots)
		memcpy(s, ids->slots, (size_t)ids->nslots * sizeof(*s));
	kfree(ids->slots);
	ids->slots = s;
	ids->nslots = n;
	return 0;
}

/* List perm (consumes the caller's reference as the registry's). Return the
 * id or -errno. Lock: ids->lock. */
static int add_locked(struct ipc_ids *ids, struct kern_ipc_perm *perm)
{
	int err = grow_locked(ids);
	if (err)
		return err;
	int idx = 0;
	while (ids->slots[idx])
		idx++;
	perm->seq = ids->seq;
	ids->seq = ids->seq >= IPC_SEQ_MAX ? 0 : ids->seq + 1;
	perm->id = (int)perm->seq * IPCMNI + idx;
	perm->kind = ids->kind;
	ids->slots[idx] = perm;
	ids->in_use++;
	if (idx > ids->max_idx)
		ids->max_idx = idx;
	return perm->id;
}

static void remove_locked(struct ipc_ids *ids, int idx)
{
	ids->slots[idx] = NULL;
	ids->in_use--;
	while (ids->max_idx >= 0 && !ids->slots[ids->max_idx])
		ids->max_idx--;
}

/* Checks on an existing object found by key. */
static int check_found(struct kern_ipc_perm *p, int flg, const struct ipc_ops *ops, const void *params)
{
	if ((flg & IPC_CREAT) && (flg & IPC_EXCL))
		return -EEXIST;
	int err = ipc_perm_check(p, (unsigned)flg & 0777);
	if (err)
		return err;
	if (ops->check_existing) {
		err = ops->check_existing(p, params);
		if (err)
			return err;
	}
	return p->id;
}

static void init_header(struct kern_ipc_perm *perm, key_t key, int flg)
{
	spin_init(&perm->lock, "ipc_perm");
	ref_init(&perm->ref);
	perm->deleted = false;
	perm->key = key;
	perm->uid = perm->cuid = ipc_current_euid();
	perm->gid = perm->cgid = ipc_current_egid();
	perm->mode = (unsigned)flg & 0777;
}

int ipc_get(struct ipc_ids *ids, key_t key, int flg, const struct ipc_ops *ops, const void *params)
{
	if (key != IPC_PRIVATE) {
		struct kern_ipc_perm *p;
		int ret;

		spin_lock(&ids->lock);
		p = find_key_locked(ids, key);
		if (p) {
			ret = check_found(p, flg, ops, params);
			spin_unlock(&ids->lock);
			return ret;
		}
		spin_unlock(&ids->lock);
		if (!(flg & IPC_CREAT))
			return -ENOENT;
	}

	struct kern_ipc_perm *perm = ops->alloc(params);
	if (IS_ERR(perm))
		return (int)PTR_ERR(perm);
	init_header(perm, key, flg);

	int ret;
	spin_lock(&ids->lock);
	struct kern_ipc_perm *raced = key != IPC_PRIVATE ? find_key_locked(ids, key) : NULL;
	if (raced)
		ret = check_found(raced, flg, ops, params);
	else
		ret = add_locked(ids, perm);
	spin_unlock(&ids->lock);
	if (raced || ret < 0)
		ops->discard(perm);
	else
		ipc_live_inc(ids->kind);
	return ret;
}

struct kern_ipc_perm *ipc_lookup_index(struct ipc_ids *ids, int idx)
{
	guard(spinlock)(&ids->lock);

	if (idx < 0 || idx > ids->max_idx || !ids->slots[idx])
		return ERR_PTR(-EINVAL);
	struct kern_ipc_perm *p = ids->slots[idx];
	if (!ref_get_unless_zero(&p->ref))
		return ERR_PTR(-EINVAL);
	return p;
}

struct kern_ipc_perm *ipc_lookup(struct ipc_ids *ids, int id)
{
	if (id < 0)
		return ERR_PTR(-EINVAL);
	struct kern_ipc_perm *p = ipc_lookup_index(ids, id_to_index(id));
	if (!IS_ERR(p) && p->id != id) {
		ipc_obj_put(p);
		return ERR_PTR(-EINVAL);
	}
	return p;
}

bool ipc_rmid(struct ipc_ids *ids, struct kern_ipc_perm *perm)
{
	int idx = id_to_index(perm->id);
	bool listed;

	spin_lock(&ids->lock);
	listed = idx <= ids->max_idx && ids->slots[idx] == perm;
	if (listed)
		remove_locked(ids, idx);
	spin_unlock(&ids->lock);
	if (!listed)
		return false;
	spin_lock(&perm->lock);
	perm->deleted = true;
	spin_unlock(&perm->lock);
	ipc_obj_put(perm); /* the registry's reference; the caller holds one */
	return true;
}

void ipc_make_private(struct ipc_ids *ids, struct kern_ipc_perm *perm)
{
	guard(spinlock)(&ids->lock);
	perm->key = IPC_PRIVATE;
}

int ipc_max_idx(struct ipc_ids *ids)
{
	guard(spinlock)(&ids->lock);
	return ids->max_idx < 0 ? 0 : ids->max_idx;
}

int ipc_in_use(struct ipc_ids *ids)
{
	guard(spinlock)(&ids->lock);
	return ids->in_use;
}

struct kern_ipc_perm *ipc_stat_lookup(struct ipc_ids *ids, int id, bool by_index, bool stat_any,
				      long *ret)
{
	struct kern_ipc_perm *perm = by_index ? ipc_lookup_index(ids, id) : ipc_lookup(ids, id);

	if (IS_ERR(perm))
		return perm;
	int err = stat_any ? 0 : ipc_perm_check(perm, 0444);
	if (err) {
		ipc_obj_put(perm);
		return ERR_PTR(err);
	}
	*ret = by_index ? perm->id : 0;
	return perm;
}
