/*
 * System V shared memory segments: shmget and shmctl (attachments are in
 * shm_attach.c). See sysv_shm.h for ownership and the lock order.
 * Lock: a segment's times, pids, nattch and mode are guarded by
 * seg->perm.lock; user copies happen with no lock held.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include <ferrite/vm.h>
#include "sysv_shm.h"

size_t shm_total_pages, shm_segments_freed;

static size_t shm_pages(size_t size) { return (size >> PAGE_SHIFT) + ((size & (PAGE_SIZE - 1)) != 0); }

static void shm_segment_discard(struct kern_ipc_perm *perm)
{
	struct shm_segment *seg = container_of(perm, struct shm_segment, perm);

	__atomic_fetch_sub(&shm_total_pages, shm_pages(seg->size), __ATOMIC_RELAXED);
	vm_object_put(seg->obj);
	kfree(seg);
}

static void shm_segment_release(struct kern_ipc_perm *perm)
{
	__atomic_fetch_add(&shm_segments_freed, 1, __ATOMIC_RELAXED);
	shm_segment_discard(perm);
}

static struct kern_ipc_perm *shm_segment_alloc(const void *params)
{
	size_t size = *(const size_t *)params;
	size_t npages = shm_pages(size);

	if (size < SHMMIN || size > SHMMAX)
		return ERR_PTR(-EINVAL);
	if (__atomic_load_n(&shm_total_pages, __ATOMIC_RELAXED) + npages > SHMALL)
		return ERR_PTR(-ENOSPC);
	__free(kfree) struct shm_segment *seg = kzalloc(sizeof(*seg));
	if (!seg)
		return ERR_PTR(-ENOMEM);
	seg->obj = vm_object_create(npages);
	if (!seg->obj)
		return ERR_PTR(-ENOMEM);
	seg->size = size;
	seg->cpid = ipc_current_pid();
	seg->ctime = ipc_now();
	seg->perm.release = shm_segment_release;
	__atomic_fetch_add(&shm_total_pages, npages, __ATOMIC_RELAXED);
	return &take_ptr(seg)->perm;
}

static int shm_check_existing(struct kern_ipc_perm *perm, const void *params)
{
	struct shm_segment *seg = container_of(perm, struct shm_segment, perm);

	return *(const size_t *)params > seg->size ? -EINVAL : 0;
}

static const struct ipc_ops shm_ops = {
	.alloc = shm_segment_alloc,
	.discard = shm_segment_discard,
	.check_existing = shm_check_existing,
};

long sys_shmget(key_t key, size_t size, int shmflg)
{
	return ipc_get(&shm_ids, key, shmflg, &shm_ops, &size);
}

struct shm_segment *shm_lookup(int shmid, unsigned access)
{
	struct kern_ipc_perm *perm = ipc_lookup(&shm_ids, shmid);

	if (IS_ERR(perm))
		return (struct shm_segment *)perm;
	int err = access ? ipc_perm_check(perm, access) : 0;
	if (err) {
		ipc_obj_put(perm);
		return ERR_PTR(err);
	}
	return container_of(perm, struct shm_segment, perm);
}

void shm_detach_account(struct shm_segment *seg)
{
	bool destroy;

	scoped_guard(spinlock, &seg->perm.lock) {
		seg->nattch--;
		seg->dtime = ipc_now();
		seg->lpid = ipc_current_pid();
		destroy = seg->nattch == 0 && (seg->perm.mode & SHM_DEST);
	}
	if (destroy)
		ipc_rmid(&shm_ids, &seg->perm);
	ipc_obj_put(&seg->perm);
}

/* ---- shmctl ---- */

static long shm_info(int cmd, void __user *buf)
{
	if (cmd == IPC_INFO) {
		struct shminfo64 info = {
			.shmmax = SHMMAX, .shmmin = SHMMIN, .shmmni = SHMMNI,
			.shmseg = SHMSEG, .shmall = SHMALL,
		};
		if (copy_to_user(buf, &info, sizeof(info)))
			return -EFAULT;
		return ipc_max_idx(&shm_ids);
	}

	struct shm_info info = { .used_ids = ipc_in_use(&shm_ids) };
	info.shm_tot = __atomic_load_n(&shm_total_pages, __ATOMIC_RELAXED);
	int max = ipc_max_idx(&shm_ids);
	for (int idx = 0; idx <= max; idx++) {
		struct kern_ipc_perm *perm = ipc_lookup_index(&shm_ids, idx);
		if (IS_ERR(perm))
			continue;
		info.shm_rss += vm_object_resident(container_of(perm, struct shm_segment, perm)->obj);
		ipc_obj_put(perm);
	}
	if (copy_to_user(buf, &info, sizeof(info)))
		return -EFAULT;
	return max;
}

static long shm_stat(int shmid, int cmd, struct shmid64_ds __user *buf)
{
	struct kern_ipc_perm *perm;
	struct shmid64_ds ds;
	long ret = 0;

	perm = ipc_stat_lookup(&shm_ids, shmid, cmd != IPC_STAT, cmd == SHM_STAT_ANY, &ret);
	if (IS_ERR(perm))
		return PTR_ERR(perm);
	struct shm_segment *seg = container_of(perm, struct shm_segment, perm);
	memset(&ds, 0, sizeof(ds));
	scoped_guard(spinlock, &perm->lock) {
		ipc_perm_to_user(perm, &ds.shm_perm);
		ds.shm_segsz = seg->size;
		ds.shm_atime = seg->atime;
		ds.shm_dtime = seg->dtime;
		ds.shm_ctime = seg->ctime;
		ds.shm_cpid = seg->cpid;
		ds.shm_lpid = seg->lpid;
		ds.shm_nattch = seg->nattch;
	}
	ipc_obj_put(perm);
	if (copy_to_user(buf, &ds, sizeof(ds)))
		return -EFAULT;
	return ret;
}

static long shm_rmid(struct shm_segment *seg)
{
	bool now;

	ipc_make_private(&shm_ids, &seg->perm);
	scoped_guard(spinlock, &seg->perm.lock) {
		seg->perm.mode |= SHM_DEST;
		now = seg->nattch == 0;
	}
	if (now)
		ipc_rmid(&shm_ids, &seg->perm);
	return 0;
}

long sys_shmctl(int shmid, int cmd, struct shmid64_ds __user *buf)
{
	struct shmid64_ds ds;

	if (shmid < 0 || cmd < 0)
		return -EINVAL;
	cmd &= ~IPC_64;
	switch (cmd) {
	case IPC_INFO:
	case SHM_INFO:
		return shm_info(cmd, buf);
	case IPC_STAT:
	case SHM_STAT:
	case SHM_STAT_ANY:
		return shm_stat(shmid, cmd, buf);
	case IPC_SET:
		if (copy_from_user(&ds, buf, sizeof(ds)))
			return -EFAULT;
		break;
	case IPC_RMID:
	case SHM_LOCK:
	case SHM_UNLOCK:
		break;
	default:
		return -EINVAL;
	}

	struct shm_segment *seg = shm_lookup(shmid, 0);
	if (IS_ERR(seg))
		return PTR_ERR(seg);
	long ret = ipc_owner_check(&seg->perm);
	if (!ret) {
		if (cmd == IPC_RMID) {
			ret = shm_rmid(seg);
		} else {
			guard(spinlock)(&seg->perm.lock);
			if (cmd == IPC_SET) {
				ipc_perm_set(&seg->perm, &ds.shm_perm);
				seg->ctime = ipc_now();
			} else if (cmd == SHM_LOCK) {
				seg->perm.mode |= SHM_LOCKED;
			} else {
				seg->perm.mode &= ~(unsigned)SHM_LOCKED;
			}
		}
	}
	ipc_obj_put(&seg->perm);
	return ret;
}
