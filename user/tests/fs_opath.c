/*
 * Issue 8 item 2: an O_PATH descriptor of a FIFO crashed the kernel when
 * the process exited (file_put <- fd_table_put <- task_exit): the file
 * kept the FIFO's operations although their open never ran, so release
 * met a pipe that was never attached. The fuzzer's sequence runs here in
 * a child, deterministically, followed by what Linux does with O_PATH
 * descriptors: only descriptor-level calls (fstat, fcntl, dup, close,
 * fchdir, *at) work; read, write, ioctl, getdents, mmap give EBADF and
 * poll reports POLLNVAL.
 */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#define FIFO "/tmp/fs_opath.fifo"

/* Junk besides O_PATH: Linux's open() ignores bits it does not know and
 * O_PATH drops the rest (O_CREAT, O_TRUNC, the access mode...). */
#define JUNK_FLAGS (O_PATH | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_NONBLOCK | 0x40000000)

static void *unmapped_page(void)
{
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap");
	CHECK(munmap(p, 4096) == 0, "munmap");
	return p;
}

/* The fuzzer's sequence, then exit_group with the O_PATH file still open. */
static void fuzzer_sequence(void *arg)
{
	(void)arg;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, FIFO, JUNK_FLAGS, 0600);
	CHECK(fd >= 0, "open(fifo, junk | O_PATH)");
	CHECK_ERRNO(syscall(SYS_fstat, fd, NULL), EFAULT);
	int nul = (int)syscall(SYS_openat, AT_FDCWD, "/dev/null", 0x80c02, 0);
	CHECK(nul >= 0, "openat(/dev/null, 0x80c02)");
	CHECK(write(nul, "x", 1) == 1, "write");
	struct pollfd pfd[2] = { { fd, POLLIN | POLLOUT, 0 }, { nul, POLLOUT, 0 } };
	struct timespec zero = { 0, 0 };
	CHECK(syscall(SYS_ppoll, pfd, 2, &zero, NULL, 8) == 2, "ppoll");
	CHECK(pfd[0].revents == POLLNVAL, "ppoll on O_PATH: revents 0x%x", pfd[0].revents);
	/* qemu-user allocates a buffer of the count first (ENOMEM). */
	unsigned count = under_qemu_user() ? 4096u : 0xffffffffu;
	CHECK_ERRNO(syscall(SYS_getdents64, fd, unmapped_page(), count), EBADF);
	long mfd = syscall(SYS_memfd_create, "fuzz", 0);
	CHECK(mfd >= 0, "memfd_create");
	sigset_t all;
	sigfillset(&all);
	CHECK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, 8) == 0, "rt_sigprocmask");
	syscall(SYS_exit_group, 0);
}

/* What Linux allows and refuses on an O_PATH descriptor. */
static void opath_semantics(void)
{
	int fd = open(FIFO, O_PATH | O_RDWR);
	CHECK(fd >= 0, "open O_PATH");
	char c;
	int n;
	CHECK_ERRNO(read(fd, &c, 1), EBADF);
	CHECK_ERRNO(write(fd, "x", 1), EBADF);
	CHECK_ERRNO(ioctl(fd, FIONREAD, &n), EBADF);
	CHECK_ERRNO(ioctl(fd, FIOCLEX), EBADF);
	CHECK_ERRNO(lseek(fd, 0, SEEK_SET), EBADF);
	CHECK_ERRNO(fsync(fd), EBADF);
	CHECK_ERRNO(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0), EBADF);
	CHECK_ERRNO(fchmod(fd, 0644), EBADF);
	struct stat st;
	CHECK(fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode), "fstat O_PATH fifo");
	CHECK(fcntl(fd, F_GETFL) & O_PATH, "F_GETFL has O_PATH");
	CHECK(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0, "F_SETFD");
	int d = dup(fd);
	CHECK(d >= 0, "dup O_PATH");
	CHECK(dup2(fd, d) == d, "dup2 O_PATH");
	CHECK(close(d) == 0, "close dup");
	CHECK(close(fd) == 0, "close");

	int dir = open("/tmp", O_PATH | O_DIRECTORY);
	CHECK(dir >= 0, "open /tmp O_PATH");
	CHECK(fstatat(dir, "fs_opath.fifo", &st, 0) == 0 && S_ISFIFO(st.st_mode), "fstatat via O_PATH dirfd");
	CHECK_ERRNO(syscall(SYS_getdents64, dir, &st, sizeof(st)), EBADF);
	close(dir);
}

int main(void)
{
	unlink(FIFO);
	CHECK(mkfifo(FIFO, 0600) == 0, "mkfifo");
	for (int i = 0; i < 3; i++) {
		int status = run_in_child(fuzzer_sequence, NULL);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	}
	opath_semantics();
	/* The same release path through fork's copy of the table and close. */
	int fd = open(FIFO, O_PATH);
	CHECK(fd >= 0, "open O_PATH");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0)
		_exit(0);
	CHECK(waitpid(pid, NULL, 0) == pid, "waitpid");
	CHECK(close(fd) == 0, "close");
	CHECK(unlink(FIFO) == 0, "unlink");
	return 0;
}
