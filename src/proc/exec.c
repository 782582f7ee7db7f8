/*
 * execve: replace the current process image with an ELF program (static,
 * static-pie, or dynamically linked: exec_elf.c loads it and its
 * interpreter) or a #! script. Everything that can fail happens on a new
 * address space first; only then does the process give up the old one
 * (the point of no return).
 * Locking: the new mm is private until installed; p->lock guards comm and
 * the thread list while other threads are told to leave.
 * Not yet: CLONE_FILES tables are not unshared on exec; setuid bits.
 */
#include <hal/hal_cpu.h>
#include <ferrite/elf.h>
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/vfs.h>
#include <ferrite/kmalloc.h>
#include <ferrite/random.h>
#include <ferrite/signal.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include <ferrite/user_return.h>
#include <ferrite/vdso.h>
#include <ferrite/vm.h>
#include <hal/hal_boot.h>
#include <hal/hal_context.h>
#include <hal/hal_mmu.h>
#include <hal/hal_timer.h>
#include <hal/hal_trap.h>
#include <uapi/time.h>
#include "exec.h"

#define SCRIPT_DEPTH_MAX 4
#define BINPRM_BUF 256

#ifndef O_RDONLY
#define O_RDONLY 0
#endif

/* Tell every other thread to leave and wait until they have. */
static void kill_other_threads(struct task *self)
{
	struct process *p = self->proc;
	struct task *t;

	for (;;) {
		/* No break inside scoped_guard: it is a loop of its own. */
		unsigned long flags = spin_lock_irqsave(&p->lock);
		bool alone = p->nr_threads == 1;

		if (!alone) {
			list_for_each_entry(t, &p->threads, thread_node) {
				if (t != self) {
					WRITE_ONCE(t->kill_pending, true);
					task_set_work(t);
					sched_wakeup_kill(t);
				}
			}
		}
		spin_unlock_irqrestore(&p->lock, flags);
		if (alone)
			break;
		WRITE_ONCE(self->state, TASK_UNINTERRUPTIBLE);
		schedule_timeout(hal_time_ns() + 1000000);
		WRITE_ONCE(self->state, TASK_RUNNING);
	}
	/* The survivor takes over the leader's id, as on Linux. */
	if (self->tid != p->pid) {
		pid_t old = self->tid;
		task_unhash(self);
		self->tid = p->pid;
		task_hash(self);
		pid_free(old);
	}
}

/* Point of no return: install the new image in the current process. */
static void exec_commit(struct mm *mm, uintptr_t entry, uintptr_t sp, const char *path,
			const char *exe)
{
	struct task *self = current;
	struct process *p = self->proc;
	const char *base = strrchr(path, '/');

	kill_other_threads(self);
	mm_activate(mm);
	process_replace_mm(p, mm);
	vfork_complete(self);
	posix_timers_exit(p);
	__atomic_store_n(&p->membarrier_registered, 0, __ATOMIC_RELAXED);
	if (p->files)
		fd_table_close_on_exec(p->files);
	if (sighand_exec_reset(p)) {
		p->exiting = true, p->exit_status = SIGSEGV;
		task_set_work(self);
	}
	self->clear_child_tid = 0;
	self->robust_list = 0;
	self->robust_list_len = 0;
	cred_exec(p);
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 }))
		strlcpy(p->comm, base ? base + 1 : path, sizeof(p->comm));
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 }))
		strlcpy(p->exe, exe, sizeof(p->exe));
	hal_frame_init_user(self->tf, entry, sp);
	hal_set_tls(&self->ctx, self->tf, 0, true);
}

/* Parse "#!interp [arg]" in buf; interp/arg point into buf. */
static int parse_shebang(char *buf, size_t n, char **interp, char **arg)
{
	char *end = NULL, *p = buf + 2;

	for (size_t i = 0; i < n && !end; i++)
		if (buf[i] == '\n')
			end = buf + i;

	if (!end) {
		if (n == BINPRM_BUF)
			return -ENOEXEC; /* line too long */
		end = buf + n;
	}
	*end = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return -ENOEXEC;
	*interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	*arg = NULL;
	if (*p) {
		*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p) {
			char *e = end;
			*arg = p;
			while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
				*--e = '\0';
		}
	}
	return 0;
}

int exec_current(const char *path, struct exec_args *args)
{
	char buf[BINPRM_BUF];
	char *cur_path = kstrdup(path);
	int err = -ELOOP;

	if (!cur_path) {
		exec_args_free(args);
		return -ENOMEM;
	}
	for (int depth = 0; depth <= SCRIPT_DEPTH_MAX; depth++) {
		struct file *f = vfs_open_exec(cur_path);
		struct mm *mm = NULL;
		uintptr_t entry = 0, sp = 0;
		ssize_t n;

		if (IS_ERR(f)) {
			err = (int)PTR_ERR(f);
			break;
		}
		if (!file_is_executable(f)) {
			file_put(f);
			err = -EACCES;
			break;
		}
		memset(buf, 0, sizeof(buf));
		n = kernel_read(f, buf, sizeof(buf), 0);
		if (n < 0) {
			file_put(f);
			err = (int)n;
			break;
		}
		if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
			char *interp, *arg;
			struct exec_args *na;

			file_put(f);
			err = parse_shebang(buf, (size_t)n, &interp, &arg);
			if (err)
				break;
			na = exec_args_for_script(args, interp, arg, cur_path);
			if (IS_ERR(na)) {
				err = (int)PTR_ERR(na);
				break;
			}
			exec_args_free(args);
			args = na;
			kfree(cur_path);
			cur_path = kstrdup(interp);
			if (!cur_path) {
				err = -ENOMEM;
				break;
			}
			err = -ELOOP;
			continue;
		}
		err = exec_load_elf(f, buf, (size_t)n, args, path, &mm, &entry, &sp);
		file_put(f);
		if (!err) {
			/* /proc/PID/exe: the ELF file run (a script's interpreter);
			 * a path too long for it leaves "" (readlink: ENOENT). */
			__free(kfree) char *exe = kmalloc(sizeof(current->proc->exe));
			if (exe && vfs_absolute_path(cur_path, exe, sizeof(current->proc->exe)))
				exe[0] = '\0';
			exec_commit(mm, entry, sp, path, exe ? exe : "");
		}
		break;
	}
	kfree(cur_path);
	exec_args_free(args);
	return err;
}

long sys_execve(const char __user *upath, const char __user *const __user *argv,
		const char __user *const __user *envp)
{
	__free(kfree) char *path = kmalloc(4096);
	struct exec_args *args;
	long n;

	if (!path)
		return -ENOMEM;
	n = strncpy_from_user(path, upath, 4096);
	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	args = exec_args_from_user(argv, envp);
	if (IS_ERR(args))
		return PTR_ERR(args);
	return exec_current(path, args);
}
