/*
 * unshare(2): give the calling process its own copy of what it shares
 * with others since clone: its descriptor table (CLONE_FILES) and its fs
 * context, cwd, root and umask (CLONE_FS). CLONE_SYSVSEM is accepted (a
 * process's semaphore undo list is its own already); CLONE_THREAD,
 * CLONE_SIGHAND and CLONE_VM are accepted when they change nothing (one
 * thread), as on Linux, else EINVAL. Ferrite has no namespaces: a
 * CLONE_NEW* flag is EINVAL.
 *
 * Linux unshares one thread's tables; Ferrite keeps them per process, so
 * a process with several threads may not swap them (the other threads
 * read p->files and p->fs without a reference): EINVAL. With one thread
 * only the caller uses the pointers; they change under p->lock and the
 * old tables are put after it is dropped.
 */
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/task.h>
#include "clone.h"
#include "proc_internal.h"


/* fs.c's close_range(CLOSE_RANGE_UNSHARE) shares this. */
long process_unshare_files(void)
{
	struct process *p = current->proc;
	struct fd_table *copy, *old;

	if (READ_ONCE(p->nr_threads) != 1)
		return -EINVAL;
	copy = fd_table_clone(p->files);
	if (!copy)
		return -ENOMEM;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		old = p->files;
		p->files = copy;
	}
	fd_table_put(old);
	return 0;
}

long sys_unshare(unsigned long flags)
{
	struct process *p = current->proc;

	if (flags & ~(CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | CLONE_THREAD | CLONE_SIGHAND |
		      CLONE_VM))
		return -EINVAL;
	if ((flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM)) && READ_ONCE(p->nr_threads) != 1)
		return -EINVAL;
	if (flags & CLONE_FS) {
		if (READ_ONCE(p->nr_threads) != 1)
			return -EINVAL;
		struct fs_context *copy = fs_context_clone(p->fs), *old;
		if (!copy)
			return -ENOMEM;
		scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
			old = p->fs;
			p->fs = copy;
		}
		fs_context_put(old);
	}
	if (flags & CLONE_FILES)
		return process_unshare_files();
	return 0;
}
