/*
 * procfs core: the super block, the directory tree (/proc, /proc/<pid>,
 * /proc/ferrite, /proc/sys/...), lookups and directory walks, the open/read
 * path that renders a file into a private snapshot, and the write path of
 * the settings (a store callback parses what one write() gives). The
 * contents live in procfs_sys.c (global files), procfs_pid.c (per process),
 * procfs_counters.c (leak counters), procfs_sysctl.c (settings) and
 * procfs_task.c (threads and their fail-nth). See
 * include/ferrite/procfs.h.
 * Locking: only the root inode is shared and it never changes; per-lookup
 * inodes and per-open snapshots belong to their holder.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/lockdep.h>
#include <ferrite/printk.h>
#include <ferrite/procfs.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include <uapi/dirent.h>
#include <stdarg.h>

#define PROC_SUPER_MAGIC 0x9fa0
#define PBUF_MAX (1u << 20)
#define PIDS_MAX 4096

enum procfs_type {
	PROC_ROOT = 1,
	PROC_SELF,
	PROC_UPTIME,
	PROC_MEMINFO,
	PROC_STAT,
	PROC_CPUINFO,
	PROC_MOUNTS,
	PROC_FILESYSTEMS,
	PROC_LOADAVG,
	PROC_VERSION,
	PROC_FERRITE,
	PROC_COUNTERS,
	PROC_DISKSTATS,
	PROC_IDLE,
	PROC_SELFTEST,
	PROC_KMALLOC_CHECK,
	PROC_LOCKDEP,
	PROC_FAULT_INJECT,
	PROC_PID,
	PROC_PID_STAT,
	PROC_PID_STATUS,
	PROC_PID_CMDLINE,
	PROC_PID_COMM,
	PROC_PID_STATM,
	PROC_PID_EXE,
	PROC_PID_FD,          /* /proc/PID/fd: the descriptors (procfs_fd.c) */
	PROC_PID_FDINFO,      /* /proc/PID/fdinfo */
	PROC_PID_FD_LINK,     /* /proc/PID/fd/N */
	PROC_PID_FDINFO_FILE, /* /proc/PID/fdinfo/N */
	PROC_SYSRQ_TRIGGER,
	PROC_SYS,
	PROC_SYS_KERNEL,
	PROC_SYS_VM,
	PROC_SYS_KERNEL_PANIC,
	PROC_SYS_KERNEL_HUNG_TASK_TIMEOUT,
	PROC_SYS_VM_MMAP_MIN_ADDR,
	PROC_PID_MOUNTS,
	PROC_PID_MOUNTINFO,
	PROC_THREAD_SELF,   /* link to PID/task/TID */
	PROC_PID_TASK,      /* /proc/PID/task */
	PROC_TID,           /* /proc/PID/task/TID */
	PROC_PID_FAIL_NTH,  /* /proc/PID/fail-nth, /proc/PID/task/TID/fail-nth */
};

struct procfs_entry {
	const char *name;
	enum procfs_type type;
	mode_t mode;
	int (*show)(struct pbuf *b, pid_t pid); /* regular files only */
	int (*store)(const char *text, size_t len); /* writable files (root only) */
};

static const struct procfs_entry root_entries[] = {
	{ "self", PROC_SELF, S_IFLNK | 0777, NULL },
	{ "thread-self", PROC_THREAD_SELF, S_IFLNK | 0777, NULL },
	{ "uptime", PROC_UPTIME, S_IFREG | 0444, procfs_show_uptime },
	{ "meminfo", PROC_MEMINFO, S_IFREG | 0444, procfs_show_meminfo },
	{ "stat", PROC_STAT, S_IFREG | 0444, procfs_show_stat },
	{ "cpuinfo", PROC_CPUINFO, S_IFREG | 0444, procfs_show_cpuinfo },
	{ "mounts", PROC_MOUNTS, S_IFREG | 0444, procfs_show_mounts },
	{ "filesystems", PROC_FILESYSTEMS, S_IFREG | 0444, procfs_show_filesystems },
	{ "loadavg", PROC_LOADAVG, S_IFREG | 0444, procfs_show_loadavg },
	{ "version", PROC_VERSION, S_IFREG | 0444, procfs_show_version },
	{ "diskstats", PROC_DISKSTATS, S_IFREG | 0444, procfs_show_diskstats },
	{ "ferrite", PROC_FERRITE, S_IFDIR | 0555, NULL },
	{ "sys", PROC_SYS, S_IFDIR | 0555, NULL },
	{ "sysrq-trigger", PROC_SYSRQ_TRIGGER, S_IFREG | 0200, procfs_show_nothing,
	  procfs_store_sysrq },
};

static const struct procfs_entry ferrite_entries[] = {
	{ "counters", PROC_COUNTERS, S_IFREG | 0444, procfs_show_counters },
	{ "idle", PROC_IDLE, S_IFREG | 0444, procfs_show_idle },
	{ "selftest", PROC_SELFTEST, S_IFREG | 0200, procfs_show_nothing, protect_selftest },
#ifdef FERRITE_DEBUG
	/* debug builds: a write checks every kmalloc object (src/mm/kmalloc.c) */
	{ "kmalloc_check", PROC_KMALLOC_CHECK, S_IFREG | 0200, procfs_show_nothing,
	  kmalloc_check_store },
	/* the lock-order validator's counts (src/lib/lockdep.c) */
	{ "lockdep", PROC_LOCKDEP, S_IFREG | 0444, lockdep_show },
#endif
	{ "fault_inject", PROC_FAULT_INJECT, S_IFREG | 0600, procfs_show_fault_inject,
	  procfs_store_fault_inject },
};

static const struct procfs_entry sys_entries[] = {
	{ "kernel", PROC_SYS_KERNEL, S_IFDIR | 0555, NULL },
	{ "vm", PROC_SYS_VM, S_IFDIR | 0555, NULL },
};

static const struct procfs_entry sys_kernel_entries[] = {
	{ "panic", PROC_SYS_KERNEL_PANIC, S_IFREG | 0644, procfs_show_panic, procfs_store_panic },
	{ "hung_task_timeout_secs", PROC_SYS_KERNEL_HUNG_TASK_TIMEOUT, S_IFREG | 0644,
	  procfs_show_hung_task_timeout, procfs_store_hung_task_timeout },
};

static const struct procfs_entry sys_vm_entries[] = {
	{ "mmap_min_addr", PROC_SYS_VM_MMAP_MIN_ADDR, S_IFREG | 0644, procfs_show_mmap_min_addr,
	  procfs_store_mmap_min_addr },
};

/* The global directories below the root: their entries and parent. */
struct procfs_dir {
	enum procfs_type type, parent;
	const struct procfs_entry *entries;
	size_t n;
};

static const struct procfs_dir static_dirs[] = {
	{ PROC_FERRITE, PROC_ROOT, ferrite_entries, ARRAY_SIZE(ferrite_entries) },
	{ PROC_SYS, PROC_ROOT, sys_entries, ARRAY_SIZE(sys_entries) },
	{ PROC_SYS_KERNEL, PROC_SYS, sys_kernel_entries, ARRAY_SIZE(sys_kernel_entries) },
	{ PROC_SYS_VM, PROC_SYS, sys_vm_entries, ARRAY_SIZE(sys_vm_entries) },
};

static const struct procfs_entry pid_entries[] = {
	{ "stat", PROC_PID_STAT, S_IFREG | 0444, procfs_show_pid_stat },
	{ "status", PROC_PID_STATUS, S_IFREG | 0444, procfs_show_pid_status },
	{ "cmdline", PROC_PID_CMDLINE, S_IFREG | 0444, procfs_show_pid_cmdline },
	{ "comm", PROC_PID_COMM, S_IFREG | 0444, procfs_show_pid_comm },
	{ "statm", PROC_PID_STATM, S_IFREG | 0444, procfs_show_pid_statm },
	{ "exe", PROC_PID_EXE, S_IFLNK | 0777, NULL },
	{ "mounts", PROC_PID_MOUNTS, S_IFREG | 0444, procfs_show_mounts },
	{ "mountinfo", PROC_PID_MOUNTINFO, S_IFREG | 0444, procfs_show_mountinfo },
	{ "fd", PROC_PID_FD, S_IFDIR | 0500, NULL },
	{ "fdinfo", PROC_PID_FDINFO, S_IFDIR | 0500, NULL },
	{ "task", PROC_PID_TASK, S_IFDIR | 0555, NULL },
	{ "fail-nth", PROC_PID_FAIL_NTH, S_IFREG | 0644, NULL },
};

/* /proc/PID/task/TID: the thread's own files (the tid sits in the fd
 * part of the inode number). */
static const struct procfs_entry tid_entries[] = {
	{ "fail-nth", PROC_PID_FAIL_NTH, S_IFREG | 0644, NULL },
};
static const struct procfs_entry task_dir_entry = { "task", PROC_PID_TASK, S_IFDIR | 0555, NULL };
static const struct procfs_entry tid_dir_entry = { "", PROC_TID, S_IFDIR | 0555, NULL };

static const struct procfs_entry fd_link_entry = { "", PROC_PID_FD_LINK, S_IFLNK | 0700, NULL };
static const struct procfs_entry fdinfo_file_entry = { "", PROC_PID_FDINFO_FILE, S_IFREG | 0400,
						       NULL };

static const struct procfs_entry pid_dir_entry = { "", PROC_PID, S_IFDIR | 0555, NULL };
static const struct procfs_entry root_entry = { "", PROC_ROOT, S_IFDIR | 0555, NULL };

static struct super_block *proc_sb;

/* ---- text buffers ---- */

static bool pbuf_reserve(struct pbuf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 1024;

	if (b->oom)
		return false;
	while (cap - b->len <= more) {
		if (cap >= PBUF_MAX) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	if (cap != b->cap) {
		char *n = kmalloc(cap);
		if (!n) {
			b->oom = true;
			return false;
		}
		if (b->buf)
			memcpy(n, b->buf, b->len);
		kfree(b->buf);
		b->buf = n;
		b->cap = cap;
	}
	return true;
}

void pbuf_put(struct pbuf *b, const void *data, size_t n)
{
	if (!pbuf_reserve(b, n))
		return;
	memcpy(b->buf + b->len, data, n);
	b->len += n;
}

void pbuf_printf(struct pbuf *b, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	pbuf_put(b, line, MIN((size_t)n, sizeof(line) - 1));
}

/* ---- inodes ---- */

/* Inode numbers: (fd + 1) << 40 | (pid + 1) << 8 | type; fd part 0
 * outside /proc/PID/fd and fdinfo. */
static pid_t ino_pid(const struct inode *ino)
{
	return (pid_t)(((ino->ino >> 8) & 0xffffffffu) - 1);
}

static int ino_fd(const struct inode *ino)
{
	return (int)((ino->ino >> 40) - 1);
}

/* The thread an inode below /proc/PID/task/TID names; PID above it. */
static pid_t ino_tid(const struct inode *ino)
{
	int tid = ino_fd(ino);

	return tid >= 0 ? tid : ino_pid(ino);
}

/* The fd (or tid) part of an inode number. */
static ino_t ino_high(int fd)
{
	return (ino_t)(fd + 1) << 40;
}

static ino_t make_ino(pid_t pid, enum procfs_type type)
{
	return ((ino_t)(pid + 1) << 8) | type;
}

static const struct inode_ops procfs_root_iops, procfs_static_iops, procfs_pid_iops,
	procfs_link_iops, procfs_exe_iops, procfs_file_iops, procfs_fddir_iops, procfs_fdlink_iops,
	procfs_thread_self_iops, procfs_taskdir_iops, procfs_tid_iops;
static const struct file_ops procfs_file_fops, procfs_dir_fops, procfs_fail_nth_fops;

/* Return: a new inode for entry e of process pid (0: global), or ERR_PTR. */
static struct inode *procfs_inode(const struct procfs_entry *e, pid_t pid)
{
	struct inode *ino = inode_alloc(proc_sb, e->mode);

	if (!ino)
		return ERR_PTR(-ENOMEM);
	ino->ino = make_ino(pid, e->type);
	ino->private = (void *)e;
	ino->nlink = S_ISDIR(e->mode) ? 2 : 1;
	switch (e->type) {
	case PROC_FERRITE:
	case PROC_SYS:
	case PROC_SYS_KERNEL:
	case PROC_SYS_VM:
		ino->iops = &procfs_static_iops;
		ino->fops = &procfs_dir_fops;
		break;
	case PROC_PID:
		ino->iops = &procfs_pid_iops;
		ino->fops = &procfs_dir_fops;
		break;
	case PROC_SELF:
		ino->iops = &procfs_link_iops;
		break;
	case PROC_THREAD_SELF:
		ino->iops = &procfs_thread_self_iops;
		break;
	case PROC_PID_TASK:
		ino->iops = &procfs_taskdir_iops;
		ino->fops = &procfs_dir_fops;
		break;
	case PROC_TID:
		ino->iops = &procfs_tid_iops;
		ino->fops = &procfs_dir_fops;
		break;
	case PROC_PID_FAIL_NTH:
		ino->iops = &procfs_file_iops;
		ino->fops = &procfs_fail_nth_fops;
		break;
	case PROC_PID_EXE:
		ino->iops = &procfs_exe_iops;
		break;
	case PROC_PID_FD:
	case PROC_PID_FDINFO:
		ino->iops = &procfs_fddir_iops;
		ino->fops = &procfs_dir_fops;
		break;
	case PROC_PID_FD_LINK:
		ino->iops = &procfs_fdlink_iops;
		break;
	default:
		ino->iops = &procfs_file_iops;
		ino->fops = &procfs_file_fops;
		break;
	}
	if (pid > 0) {
		struct process *p = process_find(pid);
		if (!p) {
			inode_put(ino);
			return ERR_PTR(-ENOENT);
		}
		ino->uid = p->euid;
		ino->gid = p->egid;
		process_put(p);
	}
	return ino;
}

static const struct procfs_entry *find_entry(const struct procfs_entry *tab, size_t n,
					     const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(tab[i].name) == len && !memcmp(tab[i].name, name, len))
			return &tab[i];
	return NULL;
}

static bool is_dotdot(const char *name, size_t len)
{
	return len == 2 && name[0] == '.' && name[1] == '.';
}

/* Parse a decimal pid without leading zeros; 0 when name is not one. */
static pid_t parse_pid(const char *name, size_t len)
{
	long v = 0;

	if (len == 0 || len > 9 || name[0] == '0')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return 0;
		v = v * 10 + (name[i] - '0');
	}
	return (pid_t)v;
}

static struct inode *procfs_root_lookup(struct inode *dir, const char *name, size_t len)
{
	const struct procfs_entry *e;
	pid_t pid;

	(void)dir;
	if (is_dotdot(name, len)) {
		inode_get(vfs_root); /* mounted on /proc */
		return vfs_root;
	}
	e = find_entry(root_entries, ARRAY_SIZE(root_entries), name, len);
	if (e)
		return procfs_inode(e, 0);
	pid = parse_pid(name, len);
	if (pid <= 0)
		return ERR_PTR(-ENOENT);
	return procfs_inode(&pid_dir_entry, pid);
}

static const struct procfs_dir *static_dir(enum procfs_type type)
{
	for (size_t i = 0; i < ARRAY_SIZE(static_dirs); i++)
		if (static_dirs[i].type == type)
			return &static_dirs[i];
	return NULL;
}

/* Return: a new reference to the directory of type (the root or one of
 * static_dirs). */
static struct inode *static_dir_inode(enum procfs_type type)
{
	if (type == PROC_ROOT) {
		inode_get(proc_sb->root);
		return proc_sb->root;
	}
	for (size_t i = 0; i < ARRAY_SIZE(root_entries); i++)
		if (root_entries[i].type == type)
			return procfs_inode(&root_entries[i], 0);
	for (size_t d = 0; d < ARRAY_SIZE(static_dirs); d++)
		for (size_t i = 0; i < static_dirs[d].n; i++)
			if (static_dirs[d].entries[i].type == type)
				return procfs_inode(&static_dirs[d].entries[i], 0);
	return ERR_PTR(-ENOENT);
}

static enum procfs_type ino_type(const struct inode *ino)
{
	return ((const struct procfs_entry *)ino->private)->type;
}

static struct inode *procfs_static_lookup(struct inode *dir, const char *name, size_t len)
{
	const struct procfs_dir *d = static_dir(ino_type(dir));
	const struct procfs_entry *e;

	if (!d)
		return ERR_PTR(-ENOENT);
	if (is_dotdot(name, len))
		return static_dir_inode(d->parent);
	e = find_entry(d->entries, d->n, name, len);
	return e ? procfs_inode(e, 0) : ERR_PTR(-ENOENT);
}

static struct inode *procfs_pid_lookup(struct inode *dir, const char *name, size_t len)
{
	const struct procfs_entry *e;

	if (is_dotdot(name, len)) {
		inode_get(proc_sb->root);
		return proc_sb->root;
	}
	e = find_entry(pid_entries, ARRAY_SIZE(pid_entries), name, len);
	return e ? procfs_inode(e, ino_pid(dir)) : ERR_PTR(-ENOENT);
}

/* Return: a new inode for entry e of thread tid of process pid. */
static struct inode *procfs_tid_inode(const struct procfs_entry *e, pid_t pid, pid_t tid)
{
	struct task *t = procfs_task_get(pid, tid);
	struct inode *ino;

	if (!t)
		return ERR_PTR(-ENOENT);
	task_put(t);
	ino = procfs_inode(e, pid);
	if (!IS_ERR(ino))
		ino->ino |= ino_high(tid);
	return ino;
}

static struct inode *procfs_taskdir_lookup(struct inode *dir, const char *name, size_t len)
{
	pid_t pid = ino_pid(dir), tid;

	if (is_dotdot(name, len))
		return procfs_inode(&pid_dir_entry, pid);
	tid = parse_pid(name, len);
	if (tid <= 0)
		return ERR_PTR(-ENOENT);
	return procfs_tid_inode(&tid_dir_entry, pid, tid);
}

static struct inode *procfs_tid_lookup(struct inode *dir, const char *name, size_t len)
{
	const struct procfs_entry *e;

	if (is_dotdot(name, len))
		return procfs_inode(&task_dir_entry, ino_pid(dir));
	e = find_entry(tid_entries, ARRAY_SIZE(tid_entries), name, len);
	return e ? procfs_tid_inode(e, ino_pid(dir), ino_tid(dir)) : ERR_PTR(-ENOENT);
}

/* /proc/thread-self: "PID/task/TID" of the caller. */
static ssize_t procfs_thread_self_readlink(struct inode *ino, char *buf, size_t size)
{
	char tmp[40];
	int n;

	(void)ino;
	if (!current || !current->proc)
		return -ENOENT;
	n = ksnprintf(tmp, sizeof(tmp), "%d/task/%d", current->proc->pid, current->tid);
	n = MIN(n, (int)size);
	memcpy(buf, tmp, (size_t)n);
	return n;
}

static ssize_t procfs_self_readlink(struct inode *ino, char *buf, size_t size)
{
	char tmp[16];
	int n;

	(void)ino;
	if (!current || !current->proc)
		return -ENOENT;
	n = ksnprintf(tmp, sizeof(tmp), "%d", current->proc->pid);
	n = MIN(n, (int)size);
	memcpy(buf, tmp, (size_t)n);
	return n;
}

/* /proc/PID/exe: the path the process's program was run by (exec.c). */
static ssize_t procfs_exe_readlink(struct inode *ino, char *buf, size_t size)
{
	struct process *p = process_find(ino_pid(ino));
	char tmp[sizeof(p->exe)];
	size_t n;

	if (!p)
		return -ENOENT;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 }))
		memcpy(tmp, p->exe, sizeof(tmp));
	process_put(p);
	n = strnlen(tmp, sizeof(tmp) - 1);
	if (n == 0)
		return -ENOENT; /* no exec yet (or a path too long to keep) */
	n = MIN(n, size);
	memcpy(buf, tmp, n);
	return (ssize_t)n;
}

/* ---- /proc/PID/fd and fdinfo (contents: procfs_fd.c) ---- */

static bool emit_fixed(struct dir_context *ctx, ino_t self, ino_t parent,
		       const struct procfs_entry *tab, size_t n, pid_t pid, ino_t high);

/* A descriptor number: decimal, "0" or no leading zero; -1 otherwise. */
static int parse_fd(const char *name, size_t len)
{
	long v = 0;

	if (len == 0 || len > 7 || (name[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	return (int)v;
}

static struct inode *procfs_fddir_lookup(struct inode *dir, const char *name, size_t len)
{
	pid_t pid = ino_pid(dir);
	bool links = ino_type(dir) == PROC_PID_FD;
	int fd = parse_fd(name, len);
	struct file *f;
	struct inode *ino;

	if (is_dotdot(name, len))
		return procfs_inode(&pid_dir_entry, pid);
	if (fd < 0 || !(f = procfs_fd_file(pid, fd)))
		return ERR_PTR(-ENOENT);
	ino = procfs_inode(links ? &fd_link_entry : &fdinfo_file_entry, pid);
	if (!IS_ERR(ino)) {
		ino->ino |= ino_high(fd);
		/* Linux: r-x for a read end, -wx for a write end, for the owner. */
		if (links)
			ino->mode = S_IFLNK | ((f->mode & FMODE_READ) ? 0500 : 0) |
				    ((f->mode & FMODE_WRITE) ? 0300 : 0);
	}
	file_put(f);
	return ino;
}

static int procfs_fddir_iterate(struct inode *dir, struct dir_context *ctx)
{
	pid_t pid = ino_pid(dir);
	bool links = ino_type(dir) == PROC_PID_FD;
	int fd;

	if (!emit_fixed(ctx, dir->ino, make_ino(pid, PROC_PID), NULL, 0, pid, 0))
		return 0;
	/* cookie 2 + fd */
	while ((fd = procfs_fd_next(pid, (int)ctx->pos - 2)) >= 0) {
		char name[16];
		int len = ksnprintf(name, sizeof(name), "%d", fd);
		ino_t ino = ino_high(fd) |
			    make_ino(pid, links ? PROC_PID_FD_LINK : PROC_PID_FDINFO_FILE);
		if (!ctx->emit(ctx, name, (size_t)len, ino, links ? DT_LNK : DT_REG))
			return 0;
		ctx->pos = fd + 3;
	}
	return 0;
}

static ssize_t procfs_fdlink_readlink(struct inode *ino, char *buf, size_t size)
{
	struct file *f = procfs_fd_file(ino_pid(ino), ino_fd(ino));
	ssize_t n;

	if (!f)
		return -ENOENT;
	n = procfs_fd_describe(f, buf, size);
	file_put(f);
	return n;
}

/* Following /proc/PID/fd/N gives the file's own inode (sockets and
 * anonymous files cannot be opened again: ENXIO, as Linux). */
static struct inode *procfs_fdlink_get(struct inode *link)
{
	struct file *f = procfs_fd_file(ino_pid(link), ino_fd(link));
	struct inode *ino;

	if (!f)
		return ERR_PTR(-ENOENT);
	ino = f->inode;
	if (S_ISSOCK(ino->mode) || !(ino->mode & S_IFMT)) {
		file_put(f);
		return ERR_PTR(-ENXIO);
	}
	inode_get(ino);
	file_put(f);
	return ino;
}

/* ---- directory walks: cookie 0 ".", 1 "..", 2.. entries, then pids ---- */

#define PID_COOKIE_BASE 1000

static unsigned dtype_of(mode_t m)
{
	return (m & S_IFMT) >> 12;
}

/* Emit ".", ".." and the fixed entries (inode numbers: of pid, with the
 * fd or tid part high). Return false when ctx is full. */
static bool emit_fixed(struct dir_context *ctx, ino_t self, ino_t parent,
		       const struct procfs_entry *tab, size_t n, pid_t pid, ino_t high)
{
	if (ctx->pos == 0) {
		if (!ctx->emit(ctx, ".", 1, self, DT_DIR))
			return false;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		if (!ctx->emit(ctx, "..", 2, parent, DT_DIR))
			return false;
		ctx->pos = 2;
	}
	for (; ctx->pos >= 2 && ctx->pos < (off_t)(2 + n); ctx->pos++) {
		const struct procfs_entry *e = &tab[ctx->pos - 2];
		if (!ctx->emit(ctx, e->name, strlen(e->name), high | make_ino(pid, e->type),
			       dtype_of(e->mode)))
			return false;
	}
	return true;
}

struct pid_list {
	pid_t *pids;
	size_t n, cap;
};

static int collect_pid(struct process *p, void *arg)
{
	struct pid_list *l = arg;

	if (p->pid > 0 && l->n < l->cap)
		l->pids[l->n++] = p->pid;
	return 0;
}

static int procfs_root_iterate(struct inode *dir, struct dir_context *ctx)
{
	struct pid_list l = { NULL, 0, PIDS_MAX };

	if (!emit_fixed(ctx, dir->ino, vfs_root->ino, root_entries, ARRAY_SIZE(root_entries), 0, 0))
		return 0;
	if (ctx->pos < PID_COOKIE_BASE)
		ctx->pos = PID_COOKIE_BASE;
	__free(kfree) pid_t *pids = kmalloc(PIDS_MAX * sizeof(pid_t));
	if (!pids)
		return -ENOMEM;
	l.pids = pids;
	process_for_each(collect_pid, &l);
	/* Ascending pid order makes the cookie (base + pid) resumable. */
	for (size_t i = 1; i < l.n; i++)
		for (size_t j = i; j > 0 && pids[j - 1] > pids[j]; j--) {
			pid_t t = pids[j];
			pids[j] = pids[j - 1];
			pids[j - 1] = t;
		}
	for (size_t i = 0; i < l.n; i++) {
		char name[16];
		int len;
		if (PID_COOKIE_BASE + (off_t)pids[i] < ctx->pos)
			continue;
		len = ksnprintf(name, sizeof(name), "%d", pids[i]);
		if (!ctx->emit(ctx, name, (size_t)len, make_ino(pids[i], PROC_PID), DT_DIR))
			return 0;
		ctx->pos = PID_COOKIE_BASE + pids[i] + 1;
	}
	return 0;
}

static int procfs_static_iterate(struct inode *dir, struct dir_context *ctx)
{
	const struct procfs_dir *d = static_dir(ino_type(dir));

	if (!d)
		return -ENOENT;
	ino_t parent = d->parent == PROC_ROOT ? proc_sb->root->ino : make_ino(0, d->parent);
	emit_fixed(ctx, dir->ino, parent, d->entries, d->n, 0, 0);
	return 0;
}

static int procfs_pid_iterate(struct inode *dir, struct dir_context *ctx)
{
	emit_fixed(ctx, dir->ino, proc_sb->root->ino, pid_entries, ARRAY_SIZE(pid_entries),
		   ino_pid(dir), 0);
	return 0;
}

/* /proc/PID/task: cookie 2 + tid, threads in tid order. */
static int procfs_taskdir_iterate(struct inode *dir, struct dir_context *ctx)
{
	pid_t pid = ino_pid(dir), tid;

	if (!emit_fixed(ctx, dir->ino, make_ino(pid, PROC_PID), NULL, 0, pid, 0))
		return 0;
	while ((tid = procfs_task_next(pid, (pid_t)ctx->pos - 2)) >= 0) {
		char name[16];
		int len = ksnprintf(name, sizeof(name), "%d", tid);
		if (!ctx->emit(ctx, name, (size_t)len, ino_high(tid) | make_ino(pid, PROC_TID),
			       DT_DIR))
			return 0;
		ctx->pos = tid + 3;
	}
	return 0;
}

static int procfs_tid_iterate(struct inode *dir, struct dir_context *ctx)
{
	pid_t pid = ino_pid(dir);

	emit_fixed(ctx, dir->ino, make_ino(pid, PROC_PID_TASK), tid_entries,
		   ARRAY_SIZE(tid_entries), pid, ino_high(ino_tid(dir)));
	return 0;
}

static const struct inode_ops procfs_root_iops = {
	.lookup = procfs_root_lookup,
	.iterate = procfs_root_iterate,
};
static const struct inode_ops procfs_static_iops = {
	.lookup = procfs_static_lookup,
	.iterate = procfs_static_iterate,
};
static const struct inode_ops procfs_pid_iops = {
	.lookup = procfs_pid_lookup,
	.iterate = procfs_pid_iterate,
};
static const struct inode_ops procfs_taskdir_iops = {
	.lookup = procfs_taskdir_lookup,
	.iterate = procfs_taskdir_iterate,
};
static const struct inode_ops procfs_tid_iops = {
	.lookup = procfs_tid_lookup,
	.iterate = procfs_tid_iterate,
};
static const struct inode_ops procfs_thread_self_iops = {
	.readlink = procfs_thread_self_readlink,
};
static const struct inode_ops procfs_fddir_iops = {
	.lookup = procfs_fddir_lookup,
	.iterate = procfs_fddir_iterate,
};
static const struct inode_ops procfs_fdlink_iops = {
	.readlink = procfs_fdlink_readlink,
	.get_link = procfs_fdlink_get,
};
static const struct inode_ops procfs_exe_iops = {
	.readlink = procfs_exe_readlink,
};
static const struct inode_ops procfs_link_iops = {
	.readlink = procfs_self_readlink,
};
static const struct inode_ops procfs_file_iops = { 0 };

/* ---- files: rendered once at open ---- */

struct procfs_snapshot {
	char *text;
	size_t len;
};

static int procfs_open(struct inode *ino, struct file *f)
{
	const struct procfs_entry *e = ino->private;
	struct pbuf b = { 0 };
	int err;

	if (f->mode & FMODE_WRITE) {
		/* The settings are the root's (mode 0644 or 0200). */
		if (!e->store || (current && current->proc && current->proc->euid != 0))
			return -EACCES;
	}
	if (!(f->mode & FMODE_READ)) {
		f->private = NULL;
		return 0;
	}
	__free(kfree) struct procfs_snapshot *s = kzalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (e->type == PROC_PID_FDINFO_FILE)
		err = procfs_show_fdinfo(&b, ino_pid(ino), ino_fd(ino));
	else
		err = e->show(&b, ino_pid(ino));
	if (!err && b.oom)
		err = -ENOMEM;
	if (err) {
		kfree(b.buf);
		return err;
	}
	s->text = b.buf;
	s->len = b.len;
	f->private = take_ptr(s);
	return 0;
}

static ssize_t procfs_read(struct file *f, const struct iobuf *buf, off_t *pos)
{
	struct procfs_snapshot *s = f->private;
	size_t n;

	if (*pos < 0)
		return -EINVAL;
	if (!s)
		return -EBADF; /* opened write-only */
	if ((size_t)*pos >= s->len)
		return 0;
	n = MIN(buf->len, s->len - (size_t)*pos);
	if (iobuf_copy_to(buf, 0, s->text + *pos, n))
		return -EFAULT;
	*pos += (off_t)n;
	return (ssize_t)n;
}

/* A setting: the text of one write, parsed whole (as Linux's sysctl
 * files at offset 0). */
static ssize_t procfs_write(struct file *f, const struct iobuf *buf, off_t *pos)
{
	const struct procfs_entry *e = f->inode->private;
	char text[64];
	size_t n = MIN(buf->len, sizeof(text) - 1);
	int err;

	if (!e->store)
		return -EINVAL;
	if (iobuf_copy_from(text, buf, 0, n))
		return -EFAULT;
	text[n] = '\0';
	err = e->store(text, n);
	if (err)
		return err;
	*pos += (off_t)buf->len;
	return (ssize_t)buf->len;
}

static void procfs_release(struct file *f)
{
	struct procfs_snapshot *s = f->private;

	if (s) {
		kfree(s->text);
		kfree(s);
	}
}

static const struct file_ops procfs_file_fops = {
	.open = procfs_open,
	.read = procfs_read,
	.write = procfs_write,
	.release = procfs_release,
};
static const struct file_ops procfs_dir_fops = { 0 };

/* fail-nth: read live, each read at its offset (procfs_task.c). */
static ssize_t procfs_fail_nth_fop_read(struct file *f, const struct iobuf *buf, off_t *pos)
{
	return procfs_fail_nth_read(ino_pid(f->inode), ino_tid(f->inode), buf, pos);
}

static ssize_t procfs_fail_nth_fop_write(struct file *f, const struct iobuf *buf, off_t *pos)
{
	(void)pos;
	return procfs_fail_nth_write(ino_pid(f->inode), ino_tid(f->inode), buf);
}

static const struct file_ops procfs_fail_nth_fops = {
	.read = procfs_fail_nth_fop_read,
	.write = procfs_fail_nth_fop_write,
};

void procfs_init(void)
{
	struct super_block *sb = kzalloc(sizeof(*sb));
	struct inode *root, *mountpoint;

	if (!sb)
		panic("procfs: out of memory");
	rwlock_init(&sb->ns_lock);
	sb->dev = MKDEV(0, 3);
	sb->magic = PROC_SUPER_MAGIC;
	proc_sb = sb;
	root = inode_alloc(sb, root_entry.mode);
	if (!root)
		panic("procfs: out of memory");
	root->private = (void *)&root_entry;
	root->iops = &procfs_root_iops;
	root->fops = &procfs_dir_fops;
	root->nlink = 2;
	/* getcwd finds a directory's name by its inode number in the parent:
	 * the root takes the number of the directory it covers. */
	mountpoint = vfs_lookup_from(vfs_root, "/proc", LOOKUP_DIRECTORY);
	if (!IS_ERR(mountpoint)) {
		root->ino = mountpoint->ino;
		inode_put(mountpoint);
	}
	sb->root = root;
	if (vfs_mount_at("/proc", sb))
		panic("procfs: cannot mount on /proc");
}
