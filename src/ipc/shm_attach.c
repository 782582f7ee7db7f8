/*
 * System V shared memory attachments: shmat, shmdt and the fork / exec /
 * exit hooks. Every attachment is recorded as (address space, address) in
 * one list, so shmdt finds it by address and fork can copy a parent's.
 *
 * Lock: shm_attach_lock guards the list. It is taken before a segment's
 * perm.lock and never held across mm calls (which take mm->lock).
 * Limitation: a range the program munmap()s itself stays counted in
 * shm_nattch until shmdt at that address, execve or exit.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/task.h>
#include <ferrite/vm.h>
#include "sysv_shm.h"

struct shm_attach {
	struct list_head node;   /* in shm_attachments */
	struct mm *mm;           /* borrowed: only compared, removed by shm_exit */
	uintptr_t addr;
	size_t len;              /* page aligned */
	struct shm_segment *seg; /* reference */
};

static struct spinlock shm_attach_lock = SPINLOCK_INIT("shm_attach");
static LIST_HEAD(shm_attachments); /* Lock: shm_attach_lock */

static struct mm *current_mm(void)
{
	return current && current->proc ? current->proc->mm : NULL;
}

size_t shm_attach_count(struct mm *mm)
{
	struct shm_attach *a;
	size_t n = 0;

	guard(spinlock)(&shm_attach_lock);
	list_for_each_entry(a, &shm_attachments, node)
		n += a->mm == mm;
	return n;
}

/* Count one more attachment. 0, or -EIDRM when the segment is gone. */
static int shm_attach_account(struct shm_segment *seg)
{
	guard(spinlock)(&seg->perm.lock);
	if (seg->perm.deleted)
		return -EIDRM;
	seg->nattch++;
	seg->atime = ipc_now();
	seg->lpid = ipc_current_pid();
	return 0;
}

long sys_shmat(int shmid, const void __user *shmaddr, int shmflg)
{
	uintptr_t addr = (uintptr_t)shmaddr;
	int prot = PROT_READ, flags = MAP_SHARED;
	unsigned access = 0444;
	struct mm *mm = current_mm();

	if (shmid < 0 || !mm)
		return -EINVAL;
	if (addr) {
		if (addr & (SHMLBA - 1)) {
			if (!(shmflg & SHM_RND))
				return -EINVAL;
			addr &= ~(uintptr_t)(SHMLBA - 1);
			if (!addr && (shmflg & SHM_REMAP))
				return -EINVAL;
		}
	} else if (shmflg & SHM_REMAP) {
		return -EINVAL;
	}
	if (addr)
		flags |= (shmflg & SHM_REMAP) ? MAP_FIXED : MAP_FIXED_NOREPLACE;
	if (!(shmflg & SHM_RDONLY)) {
		prot |= PROT_WRITE;
		access |= 0222;
	}
	if (shmflg & SHM_EXEC) {
		prot |= PROT_EXEC;
		access |= 0111;
	}

	__free(kfree) struct shm_attach *a = kzalloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	struct shm_segment *seg = shm_lookup(shmid, access);
	if (IS_ERR(seg))
		return PTR_ERR(seg);
	long ret = shm_attach_account(seg);
	if (ret) {
		ipc_obj_put(&seg->perm);
		return ret;
	}
	ret = mm_map_object(mm, addr, seg->size, prot, flags, seg->obj, 0);
	if (ret < 0) {
		shm_detach_account(seg);
		return ret == -EEXIST ? -EINVAL : ret;
	}
	a->mm = mm;
	a->addr = (uintptr_t)ret;
	a->len = ALIGN_UP(seg->size, PAGE_SIZE);
	a->seg = seg; /* the lookup's reference moves here */
	scoped_guard(spinlock, &shm_attach_lock)
		list_add_tail(&take_ptr(a)->node, &shm_attachments);
	return ret;
}

long sys_shmdt(const void __user *shmaddr)
{
	uintptr_t addr = (uintptr_t)shmaddr;
	struct mm *mm = current_mm();
	struct shm_attach *a, *found = NULL;
	struct vma vma;

	if (!mm || (addr & (PAGE_SIZE - 1)))
		return -EINVAL;
	scoped_guard(spinlock, &shm_attach_lock) {
		list_for_each_entry(a, &shm_attachments, node) {
			if (a->mm == mm && a->addr == addr) {
				found = a;
				list_del(&a->node);
				break;
			}
		}
	}
	if (!found)
		return -EINVAL;
	/* Unmap only if the segment is still what is mapped there. */
	if (mm_find_vma_copy(mm, addr, &vma) && vma.obj == found->seg->obj)
		mm_munmap(mm, addr, found->len);
	shm_detach_account(found->seg);
	kfree(found);
	return 0;
}

int shm_fork_attachments(struct mm *parent_mm, struct mm *child_mm)
{
	struct shm_attach *a;
	LIST_HEAD(copies);
	int err = 0;

	/* Count the parent's attachments, allocate outside the lock, retry if
	 * the number changed meanwhile (another thread of the parent). */
	for (;;) {
		size_t want = shm_attach_count(parent_mm), have = 0;
		while (have < want) {
			struct shm_attach *c = kzalloc(sizeof(*c));
			if (!c) {
				err = -ENOMEM;
				break;
			}
			list_add(&c->node, &copies);
			have++;
		}
		if (err)
			break;
		spin_lock(&shm_attach_lock);
		size_t now = 0;
		list_for_each_entry(a, &shm_attachments, node)
			now += a->mm == parent_mm;
		if (now > have) {
			spin_unlock(&shm_attach_lock);
			continue; /* allocate more */
		}
		list_for_each_entry(a, &shm_attachments, node) {
			if (a->mm != parent_mm)
				continue;
			struct shm_attach *c = list_first_entry(&copies, struct shm_attach, node);
			list_del(&c->node);
			c->mm = child_mm;
			c->addr = a->addr;
			c->len = a->len;
			c->seg = a->seg;
			ipc_obj_get(&a->seg->perm);
			scoped_guard(spinlock, &a->seg->perm.lock)
				a->seg->nattch++;
			list_add(&c->node, &shm_attachments); /* at the head: not revisited */
		}
		spin_unlock(&shm_attach_lock);
		break;
	}
	struct shm_attach *n;
	list_for_each_entry_safe(a, n, &copies, node) {
		list_del(&a->node);
		kfree(a);
	}
	return err;
}

void shm_exit(struct mm *mm)
{
	struct shm_attach *a, *n;
	LIST_HEAD(mine);

	scoped_guard(spinlock, &shm_attach_lock) {
		list_for_each_entry_safe(a, n, &shm_attachments, node) {
			if (a->mm == mm) {
				list_del(&a->node);
				list_add(&a->node, &mine);
			}
		}
	}
	list_for_each_entry_safe(a, n, &mine, node) {
		list_del(&a->node);
		shm_detach_account(a->seg);
		kfree(a);
	}
}
