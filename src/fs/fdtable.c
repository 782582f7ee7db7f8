/*
 * File descriptor tables: FD_MAX slots of file references plus the
 * close-on-exec bits, shared between threads (CLONE_FILES) by refcount.
 * Lock: t->lock guards fds[], open[], reserved[] and cloexec[]. Files are put only
 * after the lock is dropped (their release may sleep or take other locks).
 * fd_get_light reads a slot without the lock or a reference when the
 * table is the caller's alone (one reference, one thread): nobody else
 * can write it then.
 * open[] mirrors which slots hold a file, so fork, exit and exec visit only
 * the open descriptors instead of all FD_MAX slots.
 */
#include <ferrite/vfs.h>
#include <ferrite/bitops.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include <uapi/resource.h>
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

/* Visit every open descriptor fd of t, in increasing order. */
#define for_each_open_fd(t, fd)                                                      \
	for (int w_ = 0; w_ < FD_MAX / 64; w_++)                                     \
		for (uint64_t bits_ = (t)->open[w_]; bits_; bits_ &= bits_ - 1)      \
			for (int fd = w_ * 64 + bit_lowest(bits_), once_ = 1; once_; \
			     once_ = 0)

static void slot_set(struct fd_table *t, int fd, struct file *f)
{
	t->fds[fd] = f;
	if (f)
		t->open[fd / 64] |= 1ull << (fd % 64);
	else
		t->open[fd / 64] &= ~(1ull << (fd % 64));
}

struct fd_table *fd_table_clone(struct fd_table *src)
{
	struct fd_table *t = fd_table_create();

	if (!t)
		return NULL;
	guard(spinlock)(&src->lock);
	for_each_open_fd(src, fd) {
		file_get(src->fds[fd]);
		t->fds[fd] = src->fds[fd];
	}
	memcpy(t->open, src->open, sizeof(t->open));
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
	for_each_open_fd(t, fd)
		file_put(t->fds[fd]);
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
	for (int w = 0; w < FD_MAX / 64; w++) {
		struct file *closing[64];
		int n = 0;

		/* One word of descriptors at a time: take them out under the
		 * lock, put them after it. */
		scoped_guard(spinlock, &t->lock) {
			uint64_t bits = t->open[w] & t->cloexec[w];

			for (; bits; bits &= bits - 1) {
				int fd = w * 64 + bit_lowest(bits);

				closing[n++] = t->fds[fd];
				slot_set(t, fd, NULL);
				cloexec_set(t, fd, false);
			}
		}
		while (n)
			file_put(closing[--n]);
	}
}

/* Callers compare an int descriptor against it as int: on riscv64 an int
 * argument may hold garbage above bit 31 (see sys_ioctl), and only the
 * signed compare of the whole register keeps it out of fds[]. */
unsigned fd_limit(void)
{
	struct task *t = current;
	uint64_t lim;

	if (!t || !t->proc)
		return FD_MAX;
	lim = READ_ONCE(t->proc->rlim[RLIMIT_NOFILE].rlim_cur);
	return lim < FD_MAX ? (unsigned)lim : FD_MAX;
}

static bool bit_test(const uint64_t *map, unsigned i)
{
	return map[i / 64] & (1ull << (i % 64));
}

/*
 * The lowest slot in [min, limit) neither open nor reserved, or -1: a word
 * of the bitmaps at a time (open[] mirrors fds[], slot_set keeps them
 * together). Caller holds t->lock.
 */
static int lowest_free(const struct fd_table *t, unsigned min, unsigned limit)
{
	for (unsigned w = min / 64; w * 64 < limit; w++) {
		uint64_t busy = t->open[w] | t->reserved[w];
		if (w == min / 64)
			busy |= (1ull << (min % 64)) - 1; /* below min */
		if (~busy) {
			unsigned i = w * 64 + bit_lowest(~busy);
			return i < limit ? (int)i : -1;
		}
	}
	return -1;
}

/* Install f (reference consumed) in the lowest free slot in [min, limit). */
static int install_from(struct file *f, unsigned min, int flags)
{
	struct fd_table *t = current_files();
	unsigned limit = fd_limit();

	if (!t) {
		file_put(f);
		return -EMFILE;
	}
	spin_lock(&t->lock);
	int fd = lowest_free(t, min, limit);
	if (fd >= 0) {
		slot_set(t, fd, f);
		cloexec_set(t, fd, flags & O_CLOEXEC);
		spin_unlock(&t->lock);
		return fd;
	}
	spin_unlock(&t->lock);
	file_put(f);
	return -EMFILE;
}

int fd_install_min(struct file *f, unsigned long min, int flags)
{
	if (min >= fd_limit()) { /* F_DUPFD's rule */
		file_put(f);
		return -EINVAL;
	}
	return install_from(f, (unsigned)min, flags);
}

int fd_install(struct file *f, int flags)
{
	return install_from(f, 0, flags);
}

int fd_reserve(void)
{
	struct fd_table *t = current_files();
	unsigned limit = fd_limit();

	if (!t)
		return -EMFILE;
	guard(spinlock)(&t->lock);
	int fd = lowest_free(t, 0, limit);
	if (fd < 0)
		return -EMFILE;
	t->reserved[fd / 64] |= 1ull << (fd % 64);
	return fd;
}

void fd_unreserve(int fd)
{
	struct fd_table *t = current_files();

	guard(spinlock)(&t->lock);
	t->reserved[fd / 64] &= ~(1ull << (fd % 64));
}

void fd_install_reserved(int fd, struct file *f, int flags)
{
	struct fd_table *t = current_files();

	guard(spinlock)(&t->lock);
	/* Invariant: a reserved slot is empty (allocation and dup2 skip it). */
	BUG_ON(t->fds[fd] || !bit_test(t->reserved, (unsigned)fd));
	t->reserved[fd / 64] &= ~(1ull << (fd % 64));
	slot_set(t, fd, f);
	cloexec_set(t, fd, flags & O_CLOEXEC);
}

int fd_install_at(struct file *f, int fd, int flags)
{
	struct fd_table *t = current_files();
	struct file *old;

	if (!t || fd < 0 || fd >= (int)fd_limit()) {
		file_put(f);
		return -EBADF;
	}
	spin_lock(&t->lock);
	if (bit_test(t->reserved, (unsigned)fd)) {
		spin_unlock(&t->lock);
		file_put(f);
		return -EBUSY; /* pipe2 is filling it */
	}
	old = t->fds[fd];
	slot_set(t, fd, f);
	cloexec_set(t, fd, flags & O_CLOEXEC);
	spin_unlock(&t->lock);
	if (old)
		file_put(old);
	return fd;
}

struct file *fd_get_raw(int fd)
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

struct file *fd_table_file(struct fd_table *t, int fd)
{
	struct file *f;

	if (fd < 0 || fd >= FD_MAX)
		return NULL;
	guard(spinlock)(&t->lock);
	f = t->fds[fd];
	if (f)
		file_get(f);
	return f;
}

int fd_table_next_open(struct fd_table *t, int from)
{
	guard(spinlock)(&t->lock);
	for (int fd = from < 0 ? 0 : from; fd < FD_MAX; fd++) {
		uint64_t bits = t->open[fd / 64] >> (fd % 64);
		if (!bits) {
			fd |= 63; /* the rest of this word is closed */
			continue;
		}
		fd += bit_lowest(bits);
		return fd;
	}
	return -1;
}

struct file *fd_get(int fd)
{
	struct file *f = fd_get_raw(fd);

	if (f && (f->mode & FMODE_PATH)) {
		file_put(f);
		return NULL;
	}
	return f;
}

struct fd_ref fd_get_light(int fd)
{
	struct task *self = current;
	struct process *p = self->proc;
	struct fd_table *t = p ? p->files : NULL;

	if (!t || fd < 0 || fd >= FD_MAX)
		return (struct fd_ref){ NULL, false };
	/* Alone: only this thread can change the table (a new thread or a
	 * CLONE_FILES child would have to be created by it), so the file
	 * outlives the system call without a reference. */
	if (ref_read(&t->ref) == 1 && READ_ONCE(p->nr_threads) == 1) {
		struct file *f = READ_ONCE(t->fds[fd]);
		if (f && (f->mode & FMODE_PATH))
			f = NULL; /* as fd_get */
		return (struct fd_ref){ f, false };
	}
	struct file *f = fd_get(fd);
	return (struct fd_ref){ f, f != NULL }; /* no file: nothing to put */
}

int fd_close(int fd)
{
	struct fd_table *t = current_files();
	struct file *f;

	if (!t || fd < 0 || fd >= FD_MAX)
		return -EBADF;
	spin_lock(&t->lock);
	f = t->fds[fd];
	slot_set(t, fd, NULL);
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
