/*
 * Host tests for pipes and FIFOs (src/ipc/pipe*.c): ring wrap-around,
 * full/empty, EOF, EPIPE + SIGPIPE, atomic vs partial writes, blocking
 * with the fake scheduler (a sleep runs fake_sleep_hook, or is broken by a
 * signal), F_SETPIPE_SZ, refcounts, pipe2 flags and EFAULT, FIFO opens.
 * The real VFS + ramfs + fd table run against the fake current task; user
 * memory is ordinary memory except BAD_UPTR and, in the partial-copy
 * tests, everything from fault_from on, which fault.
 */
#include <uapi/resource.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/vfs.h>
#include <ferrite/file.h>
#include <ferrite/kmalloc.h>
#include <ferrite/pipe.h>
#include <ferrite/signal.h>
#include <ferrite/uaccess.h>
#include "fake/fake.h"
#include "fake/fake_task.h"

long sys_pipe2(int __user *ufds, int flags);

#define BAD_UPTR ((void *)0x10)

/* ---- stubs ---- */
int copy_from_user(void *dst, const void __user *src, size_t n)
{
	if (src == BAD_UPTR)
		return -EFAULT;
	memcpy(dst, src, n);
	return 0;
}
int copy_to_user(void __user *dst, const void *src, size_t n)
{
	if (dst == BAD_UPTR)
		return -EFAULT;
	memcpy(dst, src, n);
	return 0;
}
int clear_user(void __user *dst, size_t n)
{
	memset(dst, 0, n);
	return 0;
}
/* User memory from fault_from on (when set) faults, for partial copies. */
static const char *fault_from;
static size_t accessible(const void *u, size_t n)
{
	const char *p = u;

	if (u == BAD_UPTR)
		return 0;
	if (fault_from && p + n > fault_from)
		return p < fault_from ? (size_t)(fault_from - p) : 0;
	return n;
}
size_t copy_to_user_upto(void __user *dst, const void *src, size_t n)
{
	size_t ok = accessible(dst, n);

	memcpy(dst, src, ok);
	return ok;
}
size_t copy_from_user_upto(void *dst, const void __user *src, size_t n)
{
	size_t ok = accessible(src, n);

	memcpy(dst, src, ok);
	return ok;
}
long strncpy_from_user(char *dst, const char __user *src, size_t max)
{
	size_t n = strnlen(src, max);
	if (n == max)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return (long)n;
}
static int sigpipe_count;
int send_signal_task(struct task *t, int signo)
{
	assert_ptr_equal(t, &fake_task);
	if (signo == SIGPIPE)
		sigpipe_count++;
	return 0;
}

/* ---- helpers ---- */
static ssize_t kread(struct file *f, void *p, size_t n)
{
	struct iobuf b = iobuf_kernel(p, n);
	return vfs_read(f, &b);
}
static ssize_t kwrite(struct file *f, const void *p, size_t n)
{
	struct iobuf b = iobuf_kernel((void *)p, n);
	return vfs_write(f, &b);
}
static ssize_t uread(struct file *f, void *p, size_t n)
{
	struct iobuf b = iobuf_user(p, n);
	return vfs_read(f, &b);
}
static ssize_t uwrite(struct file *f, const void *p, size_t n)
{
	struct iobuf b = iobuf_user((void *)p, n);
	return vfs_write(f, &b);
}
static void fill(char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(seed + i * 7);
}

static size_t base_pipes, base_files;

static int group_setup(void **state)
{
	struct super_block *sb;

	fake_mm_init(64 << 20);
	fake_task_init();
	fake_proc.files = fd_table_create();
	fake_proc.rlim[RLIMIT_NOFILE] = (struct rlimit64){ 1024, 1024 };
	sb = ramfs_create_sb();
	assert_non_null(sb);
	vfs_root = sb->root;
	fifo_init();
	return 0;
}

static int setup(void **state)
{
	fake_signal_pending = false;
	fake_sleep_hook = NULL;
	fake_sleep_count = 0;
	sigpipe_count = 0;
	fault_from = NULL;
	base_pipes = pipes_count_live();
	base_files = files_count_live();
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(pipes_count_live(), base_pipes);
	assert_int_equal(files_count_live(), base_files);
	return 0;
}

static void mkpipe(int flags, struct file **r, struct file **w)
{
	assert_int_equal(pipe_create(flags, r, w), 0);
}

/* ---- tests ---- */
static void test_wraparound(void **state)
{
	struct file *r, *w;
	static char in[8192], out[8192];

	mkpipe(O_NONBLOCK, &r, &w);
	assert_int_equal(pipe_fcntl(w, F_SETPIPE_SZ, 4096), 4096);
	fill(in, sizeof(in), 1);
	for (int round = 0; round < 10; round++) {
		/* Uneven sizes walk the head all around the ring. */
		size_t n = 1000 + (size_t)round * 311;
		assert_int_equal(kwrite(w, in, n), (ssize_t)n);
		assert_int_equal(kread(r, out, n), (ssize_t)n);
		assert_memory_equal(in, out, n);
	}
	assert_int_equal(kwrite(w, in, 3000), 3000);
	assert_int_equal(kread(r, out, 2000), 2000);
	assert_int_equal(kwrite(w, in + 3000, 3000), 3000); /* wraps */
	assert_int_equal(kread(r, out, sizeof(out)), 4000);
	assert_memory_equal(out, in + 2000, 1000);
	assert_memory_equal(out + 1000, in + 3000, 3000);
	file_put(r);
	file_put(w);
}

static void test_full_empty(void **state)
{
	struct file *r, *w;
	static char buf[PIPE_DEF_SIZE + 10];
	char c;

	mkpipe(O_NONBLOCK, &r, &w);
	assert_int_equal(kread(r, &c, 1), -EAGAIN);
	assert_int_equal(r->ops->poll(r, NULL), 0);
	assert_int_equal(w->ops->poll(w, NULL), POLLOUT | POLLWRNORM);
	/* A big non-blocking write is cut to what fits. */
	fill(buf, sizeof(buf), 3);
	assert_int_equal(kwrite(w, buf, sizeof(buf)), PIPE_DEF_SIZE);
	assert_int_equal(kwrite(w, "x", 1), -EAGAIN);
	assert_int_equal(r->ops->poll(r, NULL), POLLIN | POLLRDNORM);
	assert_int_equal(w->ops->poll(w, NULL), 0);
	assert_int_equal(kread(r, buf, sizeof(buf)), PIPE_DEF_SIZE);
	assert_int_equal(kread(r, &c, 1), -EAGAIN);
	/* Zero-byte transfers do nothing. */
	assert_int_equal(kwrite(w, buf, 0), 0);
	assert_int_equal(kread(r, buf, 0), 0);
	file_put(w);
	file_put(r);
}

static void test_eof(void **state)
{
	struct file *r, *w;
	char buf[16];

	mkpipe(0, &r, &w);
	assert_int_equal(kwrite(w, "hello", 5), 5);
	file_put(w);
	assert_int_equal(r->ops->poll(r, NULL), POLLIN | POLLRDNORM | POLLHUP);
	assert_int_equal(kread(r, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(kread(r, buf, sizeof(buf)), 0);
	assert_int_equal(kread(r, buf, sizeof(buf)), 0);
	assert_int_equal(fake_sleep_count, 0);
	file_put(r);
}

static struct file *hook_file;
static void close_hook(void) { file_put(hook_file); }

static void test_eof_wakes_sleeping_reader(void **state)
{
	struct file *r, *w;
	char buf[16];

	mkpipe(0, &r, &w);
	hook_file = w;
	fake_sleep_hook = close_hook; /* the writer goes while we sleep */
	assert_int_equal(kread(r, buf, sizeof(buf)), 0);
	assert_int_equal(fake_sleep_count, 1);
	file_put(r);
}

static void test_epipe(void **state)
{
	struct file *r, *w;

	mkpipe(0, &r, &w);
	file_put(r);
	assert_int_equal(w->ops->poll(w, NULL), POLLOUT | POLLWRNORM | POLLERR);
	assert_int_equal(kwrite(w, "x", 1), -EPIPE);
	assert_int_equal(sigpipe_count, 1);
	assert_int_equal(kwrite(w, "xy", 2), -EPIPE);
	assert_int_equal(sigpipe_count, 2);
	file_put(w);
}

static void test_epipe_wakes_sleeping_writer(void **state)
{
	struct file *r, *w;
	static char buf[PIPE_DEF_SIZE];

	mkpipe(0, &r, &w);
	assert_int_equal(kwrite(w, buf, sizeof(buf)), PIPE_DEF_SIZE);
	hook_file = r;
	fake_sleep_hook = close_hook;
	assert_int_equal(kwrite(w, "x", 1), -EPIPE);
	assert_int_equal(sigpipe_count, 1);
	file_put(w);
}

static void test_atomic_nonblock(void **state)
{
	struct file *r, *w;
	static char buf[8192];

	mkpipe(O_NONBLOCK, &r, &w);
	assert_int_equal(pipe_fcntl(r, F_SETPIPE_SZ, 4096), 4096);
	assert_int_equal(kwrite(w, buf, 100), 100);
	/* PIPE_BUF bytes do not fit in 3996: all or nothing. */
	assert_int_equal(kwrite(w, buf, PIPE_BUF), -EAGAIN);
	/* A larger write may be partial. */
	assert_int_equal(kwrite(w, buf, 5000), 3996);
	assert_int_equal(kread(r, buf, sizeof(buf)), 4096);
	file_put(r);
	file_put(w);
}

static struct file *hook_reader;
static void drain_hook(void)
{
	static char tmp[4096];
	assert_int_equal(kread(hook_reader, tmp, 100), 100);
}

static void test_atomic_blocking(void **state)
{
	struct file *r, *w;
	static char in[4096], out[4096];

	mkpipe(0, &r, &w);
	assert_int_equal(pipe_fcntl(r, F_SETPIPE_SZ, 4096), 4096);
	fill(in, sizeof(in), 9);
	assert_int_equal(kwrite(w, in, 100), 100);
	/* Waits (once) for room for the whole write, then writes it at once. */
	hook_reader = r;
	fake_sleep_hook = drain_hook;
	assert_int_equal(kwrite(w, in, PIPE_BUF), PIPE_BUF);
	assert_int_equal(fake_sleep_count, 1);
	assert_int_equal(kread(r, out, sizeof(out)), 4096);
	assert_memory_equal(in, out, 4096);
	file_put(r);
	file_put(w);
}

static void test_interrupted(void **state)
{
	struct file *r, *w;
	static char buf[8192];
	char c;

	mkpipe(0, &r, &w);
	/* Nothing to read and nobody to wake us: the fake sends a signal. */
	assert_int_equal(kread(r, &c, 1), -ERESTARTSYS);
	fake_signal_pending = false;
	assert_int_equal(pipe_fcntl(r, F_SETPIPE_SZ, 4096), 4096);
	/* A big write interrupted after a partial transfer returns the count. */
	assert_int_equal(kwrite(w, buf, sizeof(buf)), 4096);
	fake_signal_pending = false;
	assert_int_equal(kwrite(w, buf, 1), -ERESTARTSYS);
	fake_signal_pending = false;
	file_put(r);
	file_put(w);
}

static void test_setpipe_sz(void **state)
{
	struct file *r, *w;
	static char in[16384], out[16384];

	mkpipe(O_NONBLOCK, &r, &w);
	assert_int_equal(pipe_fcntl(r, F_GETPIPE_SZ, 0), PIPE_DEF_SIZE);
	assert_int_equal(pipe_fcntl(r, F_SETPIPE_SZ, 0), 4096);
	assert_int_equal(pipe_fcntl(r, F_SETPIPE_SZ, 5000), 8192);
	assert_int_equal(pipe_fcntl(w, F_GETPIPE_SZ, 0), 8192);
	assert_int_equal(pipe_fcntl(w, F_SETPIPE_SZ, PIPE_MAX_SIZE), PIPE_MAX_SIZE);
	assert_int_equal(pipe_fcntl(w, F_SETPIPE_SZ, PIPE_MAX_SIZE + 1), -EPERM);
	assert_int_equal(pipe_fcntl(w, F_SETPIPE_SZ, 0x80000001ul), -EINVAL);
	assert_int_equal(pipe_fcntl(w, 12345, 0), -EINVAL);
	assert_int_equal(pipe_fcntl(w, F_SETPIPE_SZ, 8192), 8192);
	/* Wrapped content survives a resize, in order. */
	fill(in, sizeof(in), 5);
	assert_int_equal(kwrite(w, in, 6000), 6000);
	assert_int_equal(kread(r, out, 5000), 5000);
	assert_int_equal(kwrite(w, in + 6000, 6000), 6000); /* 7000 held, wrapped */
	assert_int_equal(pipe_fcntl(w, F_SETPIPE_SZ, 4096), -EBUSY);
	assert_int_equal(pipe_fcntl(w, F_GETPIPE_SZ, 0), 8192);
	assert_int_equal(pipe_fcntl(w, F_SETPIPE_SZ, 16384), 16384);
	assert_int_equal(kread(r, out, sizeof(out)), 7000);
	assert_memory_equal(out, in + 5000, 7000);
	file_put(r);
	file_put(w);

	/* Not a pipe. */
	struct file *other = file_alloc(NULL, NULL, O_RDONLY);
	assert_false(IS_ERR(other));
	assert_int_equal(pipe_fcntl(other, F_GETPIPE_SZ, 0), -EBADF);
	file_put(other);
}

static void test_refcount_orders(void **state)
{
	struct file *r, *w;

	mkpipe(0, &r, &w);
	assert_int_equal(pipes_count_live(), base_pipes + 1);
	file_put(r);
	assert_int_equal(pipes_count_live(), base_pipes + 1);
	file_put(w);
	assert_int_equal(pipes_count_live(), base_pipes);

	mkpipe(0, &r, &w);
	file_get(w); /* a dup */
	file_put(w);
	assert_int_equal(pipes_count_live(), base_pipes + 1);
	file_put(w);
	assert_int_equal(pipes_count_live(), base_pipes + 1);
	file_put(r);
	assert_int_equal(pipes_count_live(), base_pipes);
}

static void test_pipe2(void **state)
{
	int fds[2] = { -1, -1 };
	struct file *f;

	assert_int_equal(sys_pipe2(fds, O_DIRECT), -EINVAL);
	assert_int_equal(sys_pipe2(fds, 0x1), -EINVAL);
	assert_int_equal(sys_pipe2(fds, O_NONBLOCK | O_CLOEXEC | O_APPEND), -EINVAL);
	assert_int_equal(fds[0], -1);
	/* EFAULT: no descriptor, file or pipe is left behind. */
	assert_int_equal(sys_pipe2(BAD_UPTR, 0), -EFAULT);
	assert_int_equal(pipes_count_live(), base_pipes);
	assert_int_equal(files_count_live(), base_files);

	assert_int_equal(sys_pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(fds[0], 0); /* the EFAULT case freed its fds */
	assert_int_equal(fds[1], 1);
	f = fd_get(fds[0]);
	assert_non_null(f);
	assert_true(f->flags & O_NONBLOCK);
	assert_true(f->mode & FMODE_READ);
	assert_false(f->mode & FMODE_WRITE);
	assert_true(f->mode & FMODE_STREAM);
	file_put(f);
	f = fd_get(fds[1]);
	assert_true(f->mode & FMODE_WRITE);
	assert_int_equal(kwrite(f, "ab", 2), 2);
	file_put(f);
	assert_int_equal(fd_close(fds[0]), 0);
	assert_int_equal(fd_close(fds[1]), 0);
}

static struct file *fifo_writer;
static void fifo_open_writer_hook(void)
{
	fifo_writer = vfs_open("/fifo", O_WRONLY | O_NONBLOCK, 0);
	assert_false(IS_ERR(fifo_writer));
}

static void test_fifo(void **state)
{
	struct file *r, *w, *rw;
	char buf[8];

	assert_int_equal(vfs_mknod_at(AT_FDCWD, "/fifo", S_IFIFO | 0644, 0), 0);
	/* Non-blocking write open without a reader: ENXIO. */
	assert_int_equal(PTR_ERR(vfs_open("/fifo", O_WRONLY | O_NONBLOCK, 0)), -ENXIO);
	assert_int_equal(pipes_count_live(), base_pipes);
	/* Blocking read open without a writer, interrupted: nothing stays. */
	assert_int_equal(PTR_ERR(vfs_open("/fifo", O_RDONLY, 0)), -ERESTARTSYS);
	fake_signal_pending = false;
	assert_int_equal(pipes_count_live(), base_pipes);

	/* Non-blocking read open succeeds; then a writer shares the pipe. */
	r = vfs_open("/fifo", O_RDONLY | O_NONBLOCK, 0);
	assert_false(IS_ERR(r));
	assert_int_equal(r->ops->poll(r, NULL), 0); /* no writer yet: no HUP */
	assert_int_equal(kread(r, buf, sizeof(buf)), 0);
	w = vfs_open("/fifo", O_WRONLY, 0);
	assert_false(IS_ERR(w));
	assert_int_equal(pipes_count_live(), base_pipes + 1);
	assert_int_equal(kwrite(w, "fifo", 4), 4);
	assert_int_equal(kread(r, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "fifo", 4);
	assert_int_equal(vfs_lseek(r, 0, SEEK_SET), -ESPIPE);
	file_put(w);
	assert_int_equal(kread(r, buf, sizeof(buf)), 0);
	assert_true(r->ops->poll(r, NULL) & POLLHUP);
	file_put(r);
	assert_int_equal(pipes_count_live(), base_pipes);

	/* A blocking read open waits until a writer comes. */
	fake_sleep_count = 0;
	fake_sleep_hook = fifo_open_writer_hook;
	r = vfs_open("/fifo", O_RDONLY, 0);
	assert_false(IS_ERR(r));
	assert_int_equal(fake_sleep_count, 1);
	assert_int_equal(kwrite(fifo_writer, "z", 1), 1);
	assert_int_equal(kread(r, buf, sizeof(buf)), 1);
	file_put(fifo_writer);
	file_put(r);

	/* O_RDWR never waits. */
	rw = vfs_open("/fifo", O_RDWR, 0);
	assert_false(IS_ERR(rw));
	assert_int_equal(kwrite(rw, "q", 1), 1);
	assert_int_equal(kread(rw, buf, sizeof(buf)), 1);
	file_put(rw);
	assert_int_equal(pipes_count_live(), base_pipes);
	assert_int_equal(vfs_unlink_at(AT_FDCWD, "/fifo"), 0);
}

/* A read into a buffer that faults part-way returns the bytes delivered
 * and leaves the rest in the pipe; one that faults at once gives EFAULT
 * and consumes nothing. */
static void test_read_fault_keeps_bytes(void **state)
{
	struct file *r, *w;
	static char in[6000], out[6000];

	mkpipe(O_NONBLOCK, &r, &w);
	assert_int_equal(pipe_fcntl(w, F_SETPIPE_SZ, 4096), 4096);
	fill(in, sizeof(in), 3);
	assert_int_equal(kwrite(w, in, 3000), 3000);
	assert_int_equal(kread(r, out, 2000), 2000);
	assert_int_equal(kwrite(w, in + 3000, 3000), 3000); /* wraps */
	fault_from = out + 1500; /* inside the second part of the ring */
	assert_int_equal(uread(r, out, sizeof(out)), 1500);
	assert_memory_equal(out, in + 2000, 1500);
	fault_from = out;
	assert_int_equal(uread(r, out, sizeof(out)), -EFAULT);
	fault_from = NULL;
	assert_int_equal(uread(r, out, sizeof(out)), 2500);
	assert_memory_equal(out, in + 3500, 2500);
	file_put(r);
	file_put(w);
}

/* A write from a buffer that faults part-way publishes what it fetched. */
static void test_write_fault_short(void **state)
{
	struct file *r, *w;
	static char in[10000], out[10000];

	mkpipe(O_NONBLOCK, &r, &w);
	fill(in, sizeof(in), 5);
	fault_from = in + 7000;
	assert_int_equal(uwrite(w, in, sizeof(in)), 7000);
	fault_from = in;
	assert_int_equal(uwrite(w, in, 100), -EFAULT);
	fault_from = NULL;
	assert_int_equal(uwrite(w, in, 0), 0);
	assert_int_equal(kread(r, out, sizeof(out)), 7000);
	assert_memory_equal(out, in, 7000);
	assert_int_equal(kread(r, out, sizeof(out)), -EAGAIN);
	file_put(r);
	file_put(w);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_wraparound),
		T(test_full_empty),
		T(test_eof),
		T(test_eof_wakes_sleeping_reader),
		T(test_epipe),
		T(test_epipe_wakes_sleeping_writer),
		T(test_atomic_nonblock),
		T(test_atomic_blocking),
		T(test_interrupted),
		T(test_setpipe_sz),
		T(test_refcount_orders),
		T(test_pipe2),
		T(test_fifo),
		T(test_read_fault_keeps_bytes),
		T(test_write_fault_short),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
