/*
 * Credentials of a process (ferrite/cred.h): the helpers access checks use,
 * group lists, and what fork and execve do to the ids.
 * Lock: p->lock guards the ids and p->groups; a group list never changes
 * once published, so it is scanned under p->lock or with a reference.
 */
#include <ferrite/cred.h>
#include <ferrite/kmalloc.h>
#include "proc_internal.h"

static void group_info_release(struct ref *r)
{
	kfree(container_of(r, struct group_info, ref));
}

void group_info_get(struct group_info *gi)
{
	ref_get(&gi->ref);
}

void group_info_put(struct group_info *gi)
{
	if (gi)
		ref_put(&gi->ref, group_info_release);
}

static struct process *current_proc(void)
{
	struct task *t = current;

	return t ? t->proc : NULL;
}

struct cred cred_fs(void)
{
	struct task *t = current;
	struct process *p = t ? t->proc : NULL;

	if (t && t->fs_cred)
		return *t->fs_cred;
	if (!p)
		return (struct cred){ 0, 0 };
	guard_irqsave(&p->lock);
	return (struct cred){ p->fsuid, p->fsgid };
}

struct cred cred_real(void)
{
	struct process *p = current_proc();

	if (!p)
		return (struct cred){ 0, 0 };
	guard_irqsave(&p->lock);
	return (struct cred){ p->uid, p->gid };
}

static bool groups_contain(const struct group_info *gi, gid_t gid)
{
	int lo = 0, hi = gi ? gi->ngroups : 0;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (gi->gid[mid] == gid)
			return true;
		if (gi->gid[mid] < gid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool cred_in_group(const struct cred *c, gid_t gid)
{
	struct process *p = current_proc();

	if (c->gid == gid)
		return true;
	if (!p)
		return false;
	guard_irqsave(&p->lock);
	return groups_contain(p->groups, gid);
}

bool cred_fs_root(void)
{
	return cred_fs().uid == 0;
}

bool cred_euid_root(void)
{
	struct process *p = current_proc();

	return !p || READ_ONCE(p->euid) == 0;
}

void cred_override_fs(const struct cred *c)
{
	current->fs_cred = c;
}

void cred_copy(struct process *child, struct process *parent)
{
	guard_irqsave(&parent->lock);
	child->uid = parent->uid, child->euid = parent->euid;
	child->suid = parent->suid, child->fsuid = parent->fsuid;
	child->gid = parent->gid, child->egid = parent->egid;
	child->sgid = parent->sgid, child->fsgid = parent->fsgid;
	child->groups = parent->groups;
	if (child->groups)
		group_info_get(child->groups);
}

void cred_release(struct process *p)
{
	group_info_put(p->groups);
	p->groups = NULL;
}

void cred_exec(struct process *p)
{
	guard_irqsave(&p->lock);
	p->suid = p->fsuid = p->euid;
	p->sgid = p->fsgid = p->egid;
}
