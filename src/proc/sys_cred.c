/*
 * The user and group id calls with Linux's rules (kernel/sys.c, groups.c):
 * get/set of real, effective, saved and file-system ids, and the
 * supplementary groups. "Privileged" is euid 0 (CAP_SETUID/CAP_SETGID).
 * Every change of the effective id moves the file-system id with it.
 * Lock: p->lock held across each read-check-write of the ids.
 */
#include <ferrite/cred.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/uaccess.h>
#include "proc_internal.h"

#define UNCHANGED ((unsigned)-1)

long sys_getuid(void) { return READ_ONCE(current->proc->uid); }
long sys_geteuid(void) { return READ_ONCE(current->proc->euid); }
long sys_getgid(void) { return READ_ONCE(current->proc->gid); }
long sys_getegid(void) { return READ_ONCE(current->proc->egid); }

static long put_three(unsigned a, unsigned b, unsigned c, unsigned __user *pa,
		      unsigned __user *pb, unsigned __user *pc)
{
	if (put_user(a, pa) || put_user(b, pb) || put_user(c, pc))
		return -EFAULT;
	return 0;
}

long sys_getresuid(uid_t __user *r, uid_t __user *e, uid_t __user *s)
{
	struct process *p = current->proc;
	uid_t ids[3];

	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		ids[0] = p->uid, ids[1] = p->euid, ids[2] = p->suid;
	}
	return put_three(ids[0], ids[1], ids[2], r, e, s);
}

long sys_getresgid(gid_t __user *r, gid_t __user *e, gid_t __user *s)
{
	struct process *p = current->proc;
	gid_t ids[3];

	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		ids[0] = p->gid, ids[1] = p->egid, ids[2] = p->sgid;
	}
	return put_three(ids[0], ids[1], ids[2], r, e, s);
}

/* One set of ids (the user or the group ones) of a process. */
struct id_set {
	unsigned *real, *eff, *saved, *fs;
};

static struct id_set uids(struct process *p)
{
	return (struct id_set){ &p->uid, &p->euid, &p->suid, &p->fsuid };
}

static struct id_set gids(struct process *p)
{
	return (struct id_set){ &p->gid, &p->egid, &p->sgid, &p->fsgid };
}

static bool is_one_of(unsigned v, const struct id_set *s)
{
	return v == *s->real || v == *s->eff || v == *s->saved;
}

/* setuid/setgid: root sets all three; others may set the effective id to
 * the real or the saved one. */
static long set_one(struct id_set s, unsigned id, bool privileged)
{
	if (id == UNCHANGED)
		return -EINVAL;
	if (privileged)
		*s.real = *s.saved = id;
	else if (id != *s.real && id != *s.saved)
		return -EPERM;
	*s.eff = *s.fs = id;
	return 0;
}

/* setreuid/setregid: the real id may become the real or effective one,
 * the effective id any of the three; the saved id follows the new
 * effective one when the real id is set or the effective one set to
 * something other than the old real id. */
static long set_re(struct id_set s, unsigned r, unsigned e, bool privileged)
{
	unsigned old_real = *s.real;

	if (r != UNCHANGED && !privileged && r != *s.real && r != *s.eff)
		return -EPERM;
	if (e != UNCHANGED && !privileged && !is_one_of(e, &s))
		return -EPERM;
	if (r != UNCHANGED)
		*s.real = r;
	if (e != UNCHANGED)
		*s.eff = e;
	if (r != UNCHANGED || (e != UNCHANGED && e != old_real))
		*s.saved = *s.eff;
	*s.fs = *s.eff;
	return 0;
}

/* setresuid/setresgid: unprivileged, each new id must be one of the
 * current three. */
static long set_res(struct id_set s, unsigned r, unsigned e, unsigned sv, bool privileged)
{
	unsigned v[3] = { r, e, sv };

	for (int i = 0; i < 3; i++)
		if (!privileged && v[i] != UNCHANGED && !is_one_of(v[i], &s))
			return -EPERM;
	if (r != UNCHANGED)
		*s.real = r;
	if (e != UNCHANGED)
		*s.eff = e;
	if (sv != UNCHANGED)
		*s.saved = sv;
	*s.fs = *s.eff;
	return 0;
}

/* setfsuid/setfsgid: Return: the old id, whether or not it changed. */
static long set_fs(struct id_set s, unsigned id, bool privileged)
{
	unsigned old = *s.fs;

	if (id != UNCHANGED && (privileged || is_one_of(id, &s) || id == *s.fs))
		*s.fs = id;
	return old;
}

long sys_setuid(uid_t uid)
{
	struct process *p = current->proc;
	guard_irqsave(&p->lock);
	return set_one(uids(p), uid, p->euid == 0);
}

long sys_setgid(gid_t gid)
{
	struct process *p = current->proc;
	guard_irqsave(&p->lock);
	return set_one(gids(p), gid, p->euid == 0);
}

long sys_setreuid(uid_t r, uid_t e)
{
	struct process *p = current->proc;
	guard_irqsave(&p->lock);
	return set_re(uids(p), r, e, p->euid == 0);
}

long sys_setregid(gid_t r, gid_t e)
{
	struct process *p = current->proc;
	guard_irqsave(&p->lock);
	return set_re(gids(p), r, e, p->euid == 0);
}

long sys_setresuid(uid_t r, uid_t e, uid_t s)
{
	struct process *p = current->proc;
	guard_irqsave(&p->lock);
	return set_res(uids(p), r, e, s, p->euid == 0);
}

long sys_setresgid(gid_t r, gid_t e, gid_t s)
{
	struct process *p = current->proc;
	guard_irqsave(&p->lock);
	return set_res(gids(p), r, e, s, p->euid == 0);
}

long sys_setfsuid(uid_t uid)
{
	struct process *p = current->proc;
	guard_irqsave(&p->lock);
	return set_fs(uids(p), uid, p->euid == 0);
}

long sys_setfsgid(gid_t gid)
{
	struct process *p = current->proc;
	guard_irqsave(&p->lock);
	return set_fs(gids(p), gid, p->euid == 0);
}

long sys_getgroups(int size, gid_t __user *list)
{
	struct process *p = current->proc;
	struct group_info *gi;
	int n;

	if (size < 0)
		return -EINVAL;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		gi = p->groups;
		if (gi)
			group_info_get(gi);
	}
	n = gi ? gi->ngroups : 0;
	long ret = n;
	if (size && size < n)
		ret = -EINVAL;
	else if (size && n && copy_to_user(list, gi->gid, (size_t)n * sizeof(gid_t)))
		ret = -EFAULT;
	group_info_put(gi);
	return ret;
}

/* Shell sort (gaps 3h+1): up to NGROUPS_MAX entries without recursion or
 * a quadratic worst case worth worrying about; sorted lists make
 * membership a binary search. */
static void sort_gids(gid_t *g, int n)
{
	int h = 1;

	while (h < n / 3)
		h = 3 * h + 1;
	for (; h > 0; h /= 3)
		for (int i = h; i < n; i++) {
			gid_t t = g[i];
			int j = i;
			for (; j >= h && g[j - h] > t; j -= h)
				g[j] = g[j - h];
			g[j] = t;
		}
}

long sys_setgroups(int size, const gid_t __user *list)
{
	struct process *p = current->proc;
	struct group_info *gi = NULL, *old;

	if (READ_ONCE(p->euid) != 0)
		return -EPERM; /* CAP_SETGID, checked first as Linux */
	if ((unsigned)size > NGROUPS_MAX)
		return -EINVAL;
	if (size) {
		gi = kmalloc(sizeof(*gi) + (size_t)size * sizeof(gid_t));
		if (!gi)
			return -ENOMEM;
		ref_init(&gi->ref);
		gi->ngroups = size;
		if (copy_from_user(gi->gid, list, (size_t)size * sizeof(gid_t))) {
			kfree(gi);
			return -EFAULT;
		}
		sort_gids(gi->gid, size);
	}
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		old = p->groups;
		p->groups = gi;
	}
	group_info_put(old);
	return 0;
}
