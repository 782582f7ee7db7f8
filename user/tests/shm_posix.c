/*
 * POSIX shared memory on /dev/shm: shm_open + ftruncate + MAP_SHARED seen by
 * parent and child in both directions and by read/write(2), MAP_PRIVATE
 * copies on write, msync, SIGBUS past the end, shm_unlink semantics.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#define PG 4096

static volatile char *map_past_end;

static void touch_past_end(void *arg)
{
	(void)arg;
	map_past_end[0] = 1; /* a page wholly past EOF: SIGBUS */
}

int main(void)
{
	char name[64];
	struct stat st;
	int status;

	CHECK(stat("/dev/shm", &st) == 0, "stat /dev/shm");
	CHECK(S_ISDIR(st.st_mode) && (st.st_mode & 01777) == 01777, "/dev/shm mode %o",
	      (unsigned)st.st_mode);

	snprintf(name, sizeof(name), "/ferrite_shm_%d", (int)getpid());
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0, "shm_open");
	CHECK_ERRNO(shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST);
	CHECK(ftruncate(fd, 3 * PG) == 0, "ftruncate");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 3 * PG, "size %ld", (long)st.st_size);

	/* 4 pages mapped over a 3-page object: the last is past EOF. */
	volatile char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "mmap shared");
	for (int i = 0; i < 3 * PG; i++)
		CHECK(m[i] == 0, "fresh object not zero at %d", i);

	/* write(2) shows through the mapping, and the mapping in read(2). */
	CHECK(pwrite(fd, "hello", 5, PG + 10) == 5, "pwrite");
	CHECK(memcmp((const char *)m + PG + 10, "hello", 5) == 0, "pwrite not seen in the mapping");
	memcpy((char *)m + 2 * PG - 2, "span", 4);
	char buf[8] = { 0 };
	CHECK(pread(fd, buf, 4, 2 * PG - 2) == 4 && memcmp(buf, "span", 4) == 0,
	      "mapping write not seen by pread: '%.4s'", buf);
	CHECK(msync((void *)m, 3 * PG, MS_SYNC) == 0, "msync MS_SYNC");
	CHECK(msync((void *)m, PG, MS_ASYNC) == 0, "msync MS_ASYNC");
	CHECK_ERRNO(msync((void *)(m + 1), PG, MS_SYNC), EINVAL);

	/* MAP_PRIVATE: sees the file until written, then its own copy. */
	volatile char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED, "mmap private");
	CHECK(memcmp((const char *)p + PG + 10, "hello", 5) == 0, "private map lacks file data");
	p[PG + 10] = 'J';
	CHECK(m[PG + 10] == 'h', "private write leaked into the shared mapping");
	CHECK(pread(fd, buf, 1, PG + 10) == 1 && buf[0] == 'h', "private write leaked into the file");
	CHECK(munmap((void *)p, 3 * PG) == 0, "munmap private");

	/* Parent and child share the pages in both directions. */
	m[0] = 1;
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		if (m[0] != 1)
			_exit(2);
		for (int i = 0; i < PG; i++)
			m[2 * PG + i] = (char)(i * 7);
		m[1] = 1;
		for (int i = 0; i < 1000 && m[2] != 1; i++) {
			struct timespec ts = { 0, 5 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		_exit(m[3] == 42 ? 0 : 3);
	}
	for (int i = 0; i < 1000 && m[1] != 1; i++) {
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	CHECK(m[1] == 1, "child's write never arrived");
	for (int i = 0; i < PG; i++)
		CHECK(m[2 * PG + i] == (char)(i * 7), "child data wrong at %d", i);
	m[3] = 42;
	m[2] = 1;
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);

	/* A page past EOF: SIGBUS. */
	map_past_end = m + 3 * PG;
	expect_killed_by(run_in_child(touch_past_end, NULL), SIGBUS, "access past EOF");

	/* Growing the file makes that page valid, and it reads zero. */
	CHECK(ftruncate(fd, 4 * PG) == 0, "ftruncate grow");
	CHECK(m[3 * PG + 100] == 0, "grown page not zero");
	m[3 * PG + 100] = 'z';
	CHECK(pread(fd, buf, 1, 3 * PG + 100) == 1 && buf[0] == 'z', "grown page not shared");

	/* Shrinking to a partial page: the tail reads zero through read(2). */
	CHECK(ftruncate(fd, PG + 12) == 0, "ftruncate shrink");
	CHECK(fstat(fd, &st) == 0 && st.st_size == PG + 12, "size after shrink");
	CHECK(m[PG + 10] == 'h' && m[PG + 12] == 0, "tail after shrink");
	CHECK(ftruncate(fd, 2 * PG) == 0, "ftruncate regrow");
	CHECK(pread(fd, buf, 4, 2 * PG - 2) == 2, "pread at the new end");
	CHECK(buf[0] == 0 && buf[1] == 0, "regrown bytes not zero");

	/* Read-only descriptors: no writable shared mapping. */
	int rfd = shm_open(name, O_RDONLY, 0);
	CHECK(rfd >= 0, "shm_open O_RDONLY");
	CHECK(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0) == MAP_FAILED && errno == EACCES,
	      "writable shared mapping of an O_RDONLY fd");
	void *ro = mmap(NULL, PG, PROT_READ, MAP_SHARED, rfd, 0);
	CHECK(ro != MAP_FAILED, "read-only shared mapping");
	CHECK(((volatile char *)ro)[10] == m[10], "read-only mapping differs");
	CHECK_ERRNO(mprotect(ro, PG, PROT_READ | PROT_WRITE), EACCES);
	void *pw = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, rfd, 0);
	CHECK(pw != MAP_FAILED, "private writable mapping of an O_RDONLY fd");
	munmap(ro, PG);
	munmap(pw, PG);
	close(rfd);

	/* shm_unlink: the name goes, the object lives while mapped/open. */
	CHECK(shm_unlink(name) == 0, "shm_unlink");
	CHECK_ERRNO(shm_open(name, O_RDWR, 0), ENOENT);
	CHECK_ERRNO(shm_unlink(name), ENOENT);
	m[5] = 5;
	CHECK(pread(fd, buf, 1, 5) == 1 && buf[0] == 5, "unlinked object not shared");
	close(fd);
	CHECK(m[5] == 5, "mapping lost after close");
	int fd2 = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd2 >= 0, "shm_open after unlink");
	CHECK(fstat(fd2, &st) == 0 && st.st_size == 0, "new object not empty");
	close(fd2);
	CHECK(shm_unlink(name) == 0, "shm_unlink 2");
	CHECK(munmap((void *)m, 4 * PG) == 0, "munmap");
	return 0;
}
