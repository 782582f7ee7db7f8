/*
 * File descriptor tables: FD_MAX slots of file references plus the
 * close-on-exec bits, shared between threads (CLONE_FILES) by refcount.
 * Lock: t->lock guards fds[] and cloexec[]. Files are put only after the
 * lock is dropped (their release may sleep or take other locks).
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include "fs_internal.h"

struct fd_table *current_files(void)
{
	struct task *t = current;
	return t && t->proc ? t->proc->files : NULL;
}

struct fd_table *fd_table_create(void)
{
	struct fd_table *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	ref_init(&t->ref);
	spin_init(&t->lock, "fd_table");
	return t;
}

struct fd_table *fd_table_clone(struct fd_table *src)
{
	struct fd_table *t = fd_table_create();

	if (!t)
		return NULL;
	guard(spinlock)(&src->lock);
	for (int i = 0; i < FD_MAX; i++) {
		if (src->fds[i]) {
			file_get(src->fds[i]);
			t->fds[i] = src->fds[i];
		}
	}
	memcpy(t->cloexec, src->cloexec, sizeof(t->cloexec));
	return t;
}

void fd_table_get(struct fd_table *t)
{
	ref_get(&t->ref);
}

static void fd_table_release(struct ref *r)
{
	struct fd_table *t = container_of(r, struct fd_table, ref);

	/* Last reference: nobody else can see the table, no lock needed. */
	for (int i = 0; i < FD_MAX; i++)
		if (t->fds[i])
			file_put(t->fds[i]);
	kfree(t);
}

void fd_table_put(struct fd_table *t)
{
	ref_put(&t->ref, fd_table_release);
}

static bool cloexec_test(struct fd_table *t, int fd)
{
	return t->cloexec[fd / 64] & (1ull << (fd % 64));
}

static void cloexec_set(struct fd_table *t, int fd, bool on)
{
	if (on)
		t->cloexec[fd / 64] |= 1ull << (fd % 64);
	else
		t->cloexec[fd / 64] &= ~(1ull << (fd % 64));
}

void fd_table_close_on_exec(struct fd_table *t)
{
	for (int i = 0; i < FD_MAX; i++) {
		struct file *f = NULL;
		scoped_guard(spinlock, &t->lock) {
			if (t->fds[i] && cloexec_test(t, i)) {
				f = t->fds[i];
				t->fds[i] = NULL;
				cloexec_set(t, i, false);
			}
		}
		if (f)
			file_put(f);
	}
}

int fd_install_min(struct file *f, int min, int flags)
{
	struct fd_table *t = current_files();

	if (!t) {
		file_put(f);
		return -EMFILE;
	}
	if (min < 0 || min >= FD_MAX) {
		file_put(f);
		return -EINVAL;
	}
	spin_lock(&t->lock);
	for (int i = min; i < FD_MAX; i++) {
		if (!t->fds[i]) {
			t->fds[i] = f;
			cloexec_set(t, i, flags & O_CLOEXEC);
			spin_unlock(&t->lock);
			return i;
		}
	}
	spin_unlock(&t->lock);
	file_put(f);
	return -EMFILE;
}

int fd_install(struct file *f, int flags)
{
	return fd_install_min(f, 0, flags);
}

int fd_install_at(struct file *f, int fd, int flags)
{
	struct fd_table *t = current_files();
	struct file *old;

	if (!t || fd < 0 || fd >= FD_MAX) {
		file_put(f);
		return -EBADF;
	}
	spin_lock(&t->lock);
	old = t->fds[fd];
	t->fds[fd] = f;
	cloexec_set(t, fd, flags & O_CLOEXEC);
	spin_unlock(&t->lock);
	if (old)
		file_put(old);
	return fd;
}

struct file *fd_get(int fd)
{
	struct fd_table *t = current_files();
	struct file *f;

	if (!t || fd < 0 || fd >= FD_MAX)
		return NULL;
	guard(spinlock)(&t->lock);
	f = t->fds[fd];
	if (f)
		file_get(f);
	return f;
}

int fd_close(int fd)
{
	struct fd_table *t = current_files();
	struct file *f;

	if (!t || fd < 0 || fd >= FD_MAX)
		return -EBADF;
	spin_lock(&t->lock);
	f = t->fds[fd];
	t->fds[fd] = NULL;
	cloexec_set(t, fd, false);
	spin_unlock(&t->lock);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

int fd_get_cloexec(int fd)
{
	struct fd_table *t = current_files();

	if (!t || fd < 0 || fd >= FD_MAX)
		return -EBADF;
	guard(spinlock)(&t->lock);
	if (!t->fds[fd])
		return -EBADF;
	return cloexec_test(t, fd) ? FD_CLOEXEC : 0;
}

int fd_set_cloexec(int fd, bool on)
{
	struct fd_table *t = current_files();

	if (!t || fd < 0 || fd >= FD_MAX)
		return -EBADF;
	guard(spinlock)(&t->lock);
	if (!t->fds[fd])
		return -EBADF;
	cloexec_set(t, fd, on);
	return 0;
}
