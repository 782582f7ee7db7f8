/*
 * Kernel accesses to user memory that fault: read() into a fresh (lazily
 * allocated) anonymous page and into a page shared copy-on-write with a
 * child, write() from a COW page and from a not yet read file page all
 * work; a buffer spanning a mapped and an unmapped page, a read-only page,
 * or a PROT_NONE page gives EFAULT; a path string is read up to the end of
 * its page and fails with EFAULT when it runs into a hole.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>

#define PG 4096

static void pipe_roundtrip(int fds[2], const void *from, void *to, size_t n, const char *what)
{
	CHECK(write(fds[1], from, n) == (ssize_t)n, "write %s", what);
	CHECK(read(fds[0], to, n) == (ssize_t)n, "read %s", what);
}

int main(void)
{
	static char src[2 * PG];
	int fds[2];

	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (char)(i * 13 + 1);
	CHECK(pipe(fds) == 0, "pipe");

	/* read() into untouched anonymous pages (lazy allocation), spanning
	 * two pages. */
	char *a = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(a != MAP_FAILED, "mmap");
	pipe_roundtrip(fds, src, a + PG - 100, 200, "lazy");
	CHECK(!memcmp(a + PG - 100, src, 200), "lazy data");

	/* COW: after fork, the child read()s into and write()s from pages it
	 * shares with the parent; the parent's copy must not change. */
	memset(a + 2 * PG, 'p', PG);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		char buf[PG];
		pipe_roundtrip(fds, a + 2 * PG, buf, PG, "from cow");
		for (int i = 0; i < PG; i++)
			if (buf[i] != 'p')
				_exit(2);
		pipe_roundtrip(fds, src, a + 2 * PG + 10, 300, "into cow");
		_exit(memcmp(a + 2 * PG + 10, src, 300) ? 3 : 0);
	}
	int st;
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
	for (int i = 0; i < PG; i++)
		CHECK(a[2 * PG + i] == 'p', "parent page changed at %d", i);

	/* write() from a file page not yet read in (MAP_PRIVATE of a file). */
	char path[64];
	snprintf(path, sizeof(path), "/tmp/uaccess_fault.%d", (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0, "open %s", path);
	CHECK(write(fd, src, 2 * PG) == 2 * PG, "fill file");
	char *f = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(f != MAP_FAILED, "mmap file");
	char buf[512];
	pipe_roundtrip(fds, f + PG - 256, buf, 512, "file page");
	CHECK(!memcmp(buf, src + PG - 256, 512), "file data");
	CHECK(munmap(f, 2 * PG) == 0, "munmap file");
	close(fd);
	unlink(path);

	/* A buffer spanning a mapped and an unmapped page. */
	CHECK(munmap(a + PG, PG) == 0, "munmap");
	struct timespec *ts = (struct timespec *)(a + PG - 8);
	CHECK_ERRNO(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, ts), EFAULT);
	int *pf = (int *)(a + PG - 4);
	CHECK_ERRNO(pipe(pf), EFAULT);
	CHECK_ERRNO(uname((struct utsname *)(a + PG - 16)), EFAULT);

	/* Strings: one ending on the last byte before the hole is read; one
	 * running into the hole faults. */
	memset(a, 'x', PG);
	a[0] = '/';
	a[PG - 1] = '\0';
	CHECK_ERRNO(open(a + PG - 200, O_RDONLY), ENOENT);
	a[PG - 1] = 'x';
	CHECK_ERRNO(open(a + PG - 200, O_RDONLY), EFAULT);

	/* Read-only and PROT_NONE pages. */
	CHECK(mprotect(a + 2 * PG, PG, PROT_READ) == 0, "mprotect ro");
	CHECK_ERRNO(uname((struct utsname *)(a + 2 * PG)), EFAULT);
	CHECK_ERRNO(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (struct timespec *)(a + 2 * PG)), EFAULT);
	CHECK(mprotect(a + 3 * PG, PG, PROT_NONE) == 0, "mprotect none");
	CHECK(write(fds[1], a + 3 * PG, 10) == -1 && errno == EFAULT, "write from PROT_NONE");
	CHECK_ERRNO(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (struct timespec *)(a + 3 * PG)), EFAULT);
	return 0;
}
