/*
 * System information and control: uname, sysinfo, reboot, prctl, resource
 * limits, CPU affinity, getcpu, personality. Lock: p->lock guards p->rlim
 * and p->comm.
 */
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/frame.h>
#include <ferrite/signal.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include <hal/hal_boot.h>
#include <hal/hal_timer.h>
#include <uapi/resource.h>
#include "proc_internal.h"

#define LINUX_REBOOT_MAGIC1 0xfee1dead
#define LINUX_REBOOT_MAGIC2 672274793
#define LINUX_REBOOT_MAGIC2A 85072278
#define LINUX_REBOOT_MAGIC2B 369367448
#define LINUX_REBOOT_MAGIC2C 537993216
#define LINUX_REBOOT_CMD_RESTART 0x01234567
#define LINUX_REBOOT_CMD_HALT 0xCDEF0123
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321FEDC
#define LINUX_REBOOT_CMD_CAD_ON 0x89ABCDEF
#define LINUX_REBOOT_CMD_CAD_OFF 0x00000000

#define PR_SET_NAME 15
#define PR_SET_CHILD_SUBREAPER 36
#define PR_GET_CHILD_SUBREAPER 37
#define PR_GET_NAME 16
#define PR_SET_PDEATHSIG 1
#define PR_GET_PDEATHSIG 2

long sys_uname(struct utsname __user *buf)
{
	struct utsname u;

	memset(&u, 0, sizeof(u));
	strlcpy(u.sysname, "Linux", sizeof(u.sysname));
	strlcpy(u.nodename, "ferrite", sizeof(u.nodename));
	strlcpy(u.release, "6.1.0-ferrite", sizeof(u.release));
	strlcpy(u.version, "#1 SMP Ferrite " FERRITE_VERSION, sizeof(u.version));
	strlcpy(u.machine, hal_arch_name, sizeof(u.machine));
	strlcpy(u.domainname, "(none)", sizeof(u.domainname));
	return copy_to_user(buf, &u, sizeof(u)) ? -EFAULT : 0;
}

long sys_sysinfo(struct sysinfo __user *buf)
{
	struct sysinfo si;

	memset(&si, 0, sizeof(si));
	si.uptime = (long)(hal_time_ns() / 1000000000ULL);
	si.totalram = frames_total_count() * PAGE_SIZE;
	si.freeram = frames_free_count() * PAGE_SIZE;
	si.procs = (unsigned short)MIN(proc_count_live(), (size_t)0xffff);
	si.mem_unit = 1;
	return copy_to_user(buf, &si, sizeof(si)) ? -EFAULT : 0;
}

long sys_reboot(unsigned magic1, unsigned magic2, unsigned cmd, void __user *arg)
{
	(void)arg;
	if (magic1 != LINUX_REBOOT_MAGIC1 ||
	    (magic2 != LINUX_REBOOT_MAGIC2 && magic2 != LINUX_REBOOT_MAGIC2A &&
	     magic2 != LINUX_REBOOT_MAGIC2B && magic2 != LINUX_REBOOT_MAGIC2C))
		return -EINVAL;
	if (current->proc->euid != 0)
		return -EPERM;
	switch (cmd) {
	case LINUX_REBOOT_CMD_POWER_OFF:
		pr_info("power off\n");
		hal_poweroff();
	case LINUX_REBOOT_CMD_HALT:
		pr_info("halt\n");
		hal_halt();
	case LINUX_REBOOT_CMD_RESTART:
		pr_info("restart\n");
		hal_reboot();
	case LINUX_REBOOT_CMD_CAD_ON:
	case LINUX_REBOOT_CMD_CAD_OFF:
		return 0;
	default:
		return -EINVAL;
	}
}

long sys_prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4,
	       unsigned long arg5)
{
	struct process *p = current->proc;
	char name[TASK_COMM_LEN];

	switch (option) {
	case PR_SET_NAME: {
		long n = strncpy_from_user(name, (const char __user *)arg2, sizeof(name));
		if (n == -ENAMETOOLONG) {
			if (copy_from_user(name, (const char __user *)arg2, sizeof(name) - 1))
				return -EFAULT;
			name[sizeof(name) - 1] = '\0';
		} else if (n < 0) {
			return n;
		}
		guard_irqsave(&p->lock);
		memcpy(p->comm, name, sizeof(name));
		return 0;
	}
	case PR_SET_CHILD_SUBREAPER:
		scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &proc_tree_lock, 0 }))
			p->child_subreaper = arg2 != 0;
		return 0;
	case PR_GET_CHILD_SUBREAPER: {
		int on = READ_ONCE(p->child_subreaper);
		return put_user(on, (int __user *)arg2) ? -EFAULT : 0;
	}
	case PR_SET_PDEATHSIG:
		if (arg2 != 0 && !sig_valid((int)arg2))
			return -EINVAL;
		WRITE_ONCE(p->pdeath_signal, (int)arg2);
		return 0;
	case PR_GET_PDEATHSIG:
		return put_user(READ_ONCE(p->pdeath_signal), (int __user *)arg2) ? -EFAULT : 0;
	case PR_GET_NAME:
		scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 }))
			memcpy(name, p->comm, sizeof(name));
		return copy_to_user((char __user *)arg2, name, sizeof(name)) ? -EFAULT : 0;
	default:
		return -EINVAL;
	}
}

/* Linux's check_prlimit_permission: another process's limits are the
 * caller's to see or change when all its uids are the caller's real uid
 * and all its gids the caller's real gid, or the caller is root. */
static bool may_prlimit(struct process *p)
{
	struct process *self = current->proc;
	uid_t uid, euid;
	gid_t gid;
	bool ok;

	if (p == self)
		return true;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &self->lock, 0 })) {
		uid = self->uid, euid = self->euid, gid = self->gid;
	}
	if (euid == 0)
		return true;
	guard_irqsave(&p->lock);
	ok = p->uid == uid && p->euid == uid && p->suid == uid && p->gid == gid &&
	     p->egid == gid && p->sgid == gid;
	return ok;
}

static long do_prlimit(struct process *p, unsigned resource, const struct rlimit64 __user *new,
		       struct rlimit64 __user *old)
{
	struct rlimit64 n, o;

	if (resource >= RLIM_NLIMITS)
		return -EINVAL;
	if (new && copy_from_user(&n, new, sizeof(n)))
		return -EFAULT;
	if (new && n.rlim_cur > n.rlim_max)
		return -EINVAL;
	/* Descriptor tables hold NR_OPEN_MAX slots (Linux's fs.nr_open rule). */
	if (new && resource == RLIMIT_NOFILE && n.rlim_max > NR_OPEN_MAX)
		return -EPERM;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		o = p->rlim[resource];
		if (new && n.rlim_max > o.rlim_max && current->proc->euid != 0)
			return -EPERM;
		if (new)
			p->rlim[resource] = n;
	}
	if (old && copy_to_user(old, &o, sizeof(o)))
		return -EFAULT;
	return 0;
}

long sys_prlimit64(pid_t pid, unsigned resource, const struct rlimit64 __user *new,
		   struct rlimit64 __user *old)
{
	struct process *p;
	long ret;

	if (pid < 0)
		return -EINVAL;
	if (!pid)
		return do_prlimit(current->proc, resource, new, old);
	p = process_find(pid);
	if (!p)
		return -ESRCH;
	ret = may_prlimit(p) ? do_prlimit(p, resource, new, old) : -EPERM;
	process_put(p);
	return ret;
}

long sys_getrlimit(unsigned resource, struct rlimit64 __user *old)
{
	return sys_prlimit64(0, resource, NULL, old);
}

long sys_setrlimit(unsigned resource, const struct rlimit64 __user *new)
{
	return sys_prlimit64(0, resource, new, NULL);
}

/* The task pid names (0: the caller). Return: new reference or NULL. */
static struct task *affinity_target(pid_t pid)
{
	if (pid == 0) {
		task_get(current);
		return current;
	}
	return task_find(pid);
}

/* The mask words are unsigned longs, as Linux's (a cpumask of 64 bits). */
long sys_sched_getaffinity(pid_t pid, size_t len, unsigned long __user *mask)
{
	unsigned long m;
	struct task *t;

	if (len < sizeof(m) || (len & (sizeof(m) - 1)))
		return -EINVAL;
	t = affinity_target(pid);
	if (!t)
		return -ESRCH;
	m = READ_ONCE(t->cpus_allowed) & READ_ONCE(cpu_online_mask);
	task_put(t);
	if (copy_to_user(mask, &m, sizeof(m)))
		return -EFAULT;
	return sizeof(m);
}

/* Linux: bits past the first word name CPUs that do not exist here; a
 * mask with no online CPU is EINVAL; a short length reads a short mask. */
long sys_sched_setaffinity(pid_t pid, size_t len, const unsigned long __user *mask)
{
	unsigned long m = 0;
	struct task *t;

	if (copy_from_user(&m, mask, MIN(len, sizeof(m))))
		return -EFAULT;
	m &= READ_ONCE(cpu_online_mask);
	if (!m)
		return -EINVAL;
	t = affinity_target(pid);
	if (!t)
		return -ESRCH;
	sched_set_affinity(t, m);
	task_put(t);
	/* The caller itself leaves a CPU it may no longer use before returning. */
	if (!(m & (1UL << hal_cpu_id())) && (pid == 0 || pid == current->tid))
		schedule();
	return 0;
}

/* getcpu(2): the CPU the caller runs on (it may move at once), node 0. */
long sys_getcpu(unsigned __user *ucpu, unsigned __user *unode, void __user *cache)
{
	unsigned cpu = hal_cpu_id(), node = 0;

	(void)cache; /* unused since Linux 2.6.24 */
	if (ucpu && put_user(cpu, ucpu))
		return -EFAULT;
	if (unode && put_user(node, unode))
		return -EFAULT;
	return 0;
}

/*
 * personality(2): Linux's only execution domain is PER_LINUX (0); the
 * flags above it are kept and inherited. 0xffffffff asks without setting.
 * Return: the previous value.
 */
long sys_personality(unsigned persona)
{
	struct process *p = current->proc;
	unsigned old = READ_ONCE(p->personality);

	if (persona != 0xffffffffu)
		WRITE_ONCE(p->personality, persona);
	return old;
}
