/*
 * mremap (issue 8, item 11): grow in place, shrink, move (MREMAP_MAYMOVE,
 * MREMAP_FIXED, MREMAP_DONTUNMAP), ENOMEM when it must move but may not,
 * EINVAL/EFAULT for bad arguments; anonymous private (also copy-on-write
 * after fork), shared anonymous and file mappings keep their contents and
 * their sharing; glibc's realloc of large blocks.
 */
#include "common.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define PG 4096UL

static void fill(char *p, size_t pages, int seed)
{
	for (size_t i = 0; i < pages; i++)
		memset(p + i * PG, (int)(seed + i) & 0xff, PG);
}

static void expect_fill(const char *p, size_t pages, int seed, const char *what)
{
	for (size_t i = 0; i < pages; i++)
		for (size_t k = 0; k < PG; k += 511)
			CHECK(p[i * PG + k] == (char)((seed + i) & 0xff), "%s: page %zu byte %zu",
			      what, i, k);
}

static void expect_zero(const char *p, size_t pages, const char *what)
{
	for (size_t i = 0; i < pages * PG; i += 257)
		CHECK(p[i] == 0, "%s: byte %zu not zero", what, i);
}

static int mapped(void *p)
{
	return msync(p, PG, MS_ASYNC) == 0;
}

/* A free hole of n pages: reserved, then given back. */
static char *hole(size_t pages)
{
	char *p = mmap(NULL, pages * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap hole");
	CHECK(munmap(p, pages * PG) == 0, "munmap hole");
	return p;
}

static char *anon_at(char *where, size_t pages)
{
	char *p = mmap(where, pages * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | (where ? MAP_FIXED : 0), -1, 0);
	CHECK(p != MAP_FAILED && (!where || p == where), "mmap anon");
	return p;
}

/* Make sure the page at addr is taken (without replacing anything there),
 * so a mapping ending at addr cannot grow in place. Return the page to
 * unmap later, or NULL when something else was there already. */
static char *block_at(char *addr)
{
	char *p = mmap(addr, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		       -1, 0);
	if (p == MAP_FAILED) {
		CHECK(errno == EEXIST, "block_at %p", addr);
		return NULL;
	}
	CHECK(p == addr, "block_at %p: %p", addr, p);
	return p;
}

static void test_grow_shrink(void)
{
	char *base = hole(16);
	char *p = anon_at(base, 4), *q;

	fill(p, 4, 1);
	/* Room after it: grows in place even without MREMAP_MAYMOVE. */
	q = mremap(p, 4 * PG, 8 * PG, 0);
	CHECK(q == p, "grow in place: %p", q);
	expect_fill(q, 4, 1, "grown");
	expect_zero(q + 4 * PG, 4, "grown tail");
	/* Shrink: the tail goes, the head stays. */
	q = mremap(p, 8 * PG, 2 * PG, 0);
	CHECK(q == p, "shrink: %p", q);
	expect_fill(q, 2, 1, "shrunk");
	CHECK(!mapped(p + 2 * PG), "page 2 still mapped after shrink");
	/* Growing again brings zero pages, not the old ones. */
	q = mremap(p, 2 * PG, 4 * PG, 0);
	CHECK(q == p, "regrow: %p", q);
	expect_zero(q + 2 * PG, 2, "regrown tail");
	/* Something right after it: no room. */
	anon_at(p + 4 * PG, 1);
	errno = 0;
	CHECK(mremap(p, 4 * PG, 6 * PG, 0) == MAP_FAILED && errno == ENOMEM,
	      "must move but may not: ENOMEM");
	expect_fill(p, 2, 1, "after ENOMEM");
	q = mremap(p, 4 * PG, 6 * PG, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED && q != p, "MAYMOVE: %p", q);
	expect_fill(q, 2, 1, "moved");
	expect_zero(q + 4 * PG, 2, "moved tail");
	CHECK(!mapped(p), "old place still mapped after a move");
	CHECK(mapped(p + 4 * PG), "the neighbour was unmapped");
	q[6 * PG - 1] = 5;
	munmap(q, 6 * PG);
	munmap(p + 4 * PG, PG);
}

static void test_fixed_and_errors(void)
{
	char *p = anon_at(NULL, 4), *target = anon_at(NULL, 3), *q;

	fill(p, 4, 40);
	fill(target, 3, 90);
	/* MREMAP_FIXED replaces what is at the target. */
	q = mremap(p, 4 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	CHECK(q == target, "MREMAP_FIXED: %p", q);
	expect_fill(q, 2, 40, "fixed");
	CHECK(mapped(target + 2 * PG), "page 2 of the old target is gone");
	expect_fill(target + 2 * PG, 1, 92, "rest of the target");
	CHECK(!mapped(p) && !mapped(p + 3 * PG), "source still mapped");

	p = anon_at(NULL, 2);
	errno = 0;
	CHECK(mremap(p, PG, PG, MREMAP_FIXED, target) == MAP_FAILED && errno == EINVAL,
	      "FIXED without MAYMOVE");
	errno = 0;
	CHECK(mremap(p, PG, PG, 0x40) == MAP_FAILED && errno == EINVAL, "unknown flag");
	errno = 0;
	CHECK(mremap(p + 1, PG, 2 * PG, MREMAP_MAYMOVE) == MAP_FAILED && errno == EINVAL,
	      "unaligned address");
	errno = 0;
	CHECK(mremap(p, PG, 0, MREMAP_MAYMOVE) == MAP_FAILED &&
		      errno == (under_qemu_user() ? ENOMEM : EINVAL),
	      "new_len 0"); /* (qemu-user differs) */
	errno = 0;
	CHECK(mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, p + PG) == MAP_FAILED &&
		      errno == EINVAL,
	      "overlapping FIXED");
	errno = 0;
	CHECK(mremap(p, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, target + 1) == MAP_FAILED &&
		      errno == EINVAL,
	      "unaligned new address");
	char *gone = hole(4);
	errno = 0;
	CHECK(mremap(gone, PG, 2 * PG, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT,
	      "nothing mapped: EFAULT");
	/* An old range over two different mappings cannot grow. */
	char *a = anon_at(gone, 1);
	CHECK(mmap(gone + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		      gone + PG,
	      "second mapping");
	errno = 0;
	CHECK(mremap(a, 2 * PG, 3 * PG, MREMAP_MAYMOVE) == MAP_FAILED && errno == EFAULT,
	      "old range spans two mappings: EFAULT");
	errno = 0;
	CHECK(mremap(p, 2 * PG, 2 * PG, MREMAP_DONTUNMAP) == MAP_FAILED && errno == EINVAL,
	      "DONTUNMAP without MAYMOVE");
	errno = 0;
	CHECK(mremap(p, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP) == MAP_FAILED &&
		      errno == EINVAL,
	      "DONTUNMAP with a new length");
	/* old_len 0 duplicates shared mappings only. */
	errno = 0;
	CHECK(mremap(p, 0, PG, MREMAP_MAYMOVE) == MAP_FAILED &&
		      errno == (under_qemu_user() ? ENOMEM : EINVAL),
	      "old_len 0 of a private mapping");
	munmap(gone, 2 * PG);
	munmap(p, 2 * PG);
	munmap(target, 3 * PG);
}

static void test_dontunmap(void)
{
	char *p = anon_at(NULL, 3), *q;

	fill(p, 3, 7);
	/* The new address is a hint here, checked for alignment (glibc
	 * passes it only with MREMAP_FIXED on some arches: the raw call). */
	errno = 0;
	CHECK(syscall(SYS_mremap, p, 3 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
		      0x100001) == -1 &&
		      errno == EINVAL,
	      "DONTUNMAP with an unaligned hint");
	q = (char *)syscall(SYS_mremap, p, 3 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	CHECK(q != MAP_FAILED && q != p, "DONTUNMAP: %p", q);
	expect_fill(q, 3, 7, "moved");
	CHECK(mapped(p), "DONTUNMAP: the old range stays mapped");
	expect_zero(p, 3, "old range after DONTUNMAP");
	munmap(p, 3 * PG);
	munmap(q, 3 * PG);
}

/* A shared anonymous mapping keeps its sharing with a child when moved. */
static void test_shared(void)
{
	char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int go[2], done[2];
	char c;

	CHECK(p != MAP_FAILED, "mmap shared");
	fill(p, 2, 3);
	CHECK(pipe(go) == 0 && pipe(done) == 0, "pipe");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		p[PG + 5] = 'K'; /* through the child's (unmoved) mapping */
		if (write(done[1], "x", 1) != 1)
			_exit(3);
		_exit(0);
	}
	char *blocker = block_at(p + 2 * PG); /* no room: it must move */
	char *q = mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, hole(4));
	CHECK(q != MAP_FAILED, "move shared");
	expect_fill(q, 1, 3, "moved shared");
	CHECK(write(go[1], "g", 1) == 1 && read(done[0], &c, 1) == 1, "handshake");
	CHECK(q[PG + 5] == 'K', "child's write not seen through the moved mapping");
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status),
	      "child 0x%x", status);
	/* old_len 0: a second mapping of the same shared pages (not in
	 * qemu-user 7.2). */
	if (!under_qemu_user()) {
		char *dup = mremap(q, 0, 2 * PG, MREMAP_MAYMOVE);
		CHECK(dup != MAP_FAILED && dup != q, "old_len 0 of a shared mapping: %p", dup);
		dup[7] = 'D';
		CHECK(q[7] == 'D' && dup[PG + 5] == 'K', "the duplicate shares the pages");
		munmap(dup, 2 * PG);
	}
	munmap(q, 2 * PG);
	if (blocker)
		munmap(blocker, PG);
	close(go[0]), close(go[1]), close(done[0]), close(done[1]);
}

/* Private copy-on-write pages after fork: each side keeps its own data. */
static void test_cow(void)
{
	char *p = anon_at(NULL, 2);
	int status;

	fill(p, 2, 20);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		block_at(p + 2 * PG);
		char *q = mremap(p, 2 * PG, 4 * PG, MREMAP_MAYMOVE);
		if (q == MAP_FAILED || q == p)
			_exit(2);
		for (size_t i = 0; i < 2 * PG; i += 509)
			if (q[i] != (char)((20 + i / PG) & 0xff))
				_exit(3);
		q[0] = 'c';
		q[3 * PG] = 'n';
		_exit(q[0] == 'c' ? 0 : 4);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status),
	      "child exit 0x%x", status);
	expect_fill(p, 2, 20, "parent after the child moved and wrote");
	munmap(p, 2 * PG);
}

/* File mappings: private grows read more of the file, shared writes reach it. */
static void test_file(void)
{
	char path[64], buf[8];
	int fd;

	snprintf(path, sizeof(path), "/tmp/mremap-%d", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0, "open %s", path);
	for (int i = 0; i < 4; i++) {
		memset(buf, 'a' + i, sizeof(buf));
		CHECK(pwrite(fd, buf, sizeof(buf), (off_t)(i * PG)) == sizeof(buf), "pwrite");
	}
	CHECK(ftruncate(fd, 4 * PG) == 0, "ftruncate");

	char *p = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, PG);
	CHECK(p != MAP_FAILED && p[0] == 'b', "private file map");
	char *blocker = block_at(p + PG);
	char *q = mremap(p, PG, 3 * PG, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED, "move private file mapping");
	CHECK(q[0] == 'b' && q[PG] == 'c' && q[2 * PG] == 'd', "file pages after the move: %c%c%c",
	      q[0], q[PG], q[2 * PG]);
	munmap(q, 3 * PG);
	if (blocker)
		munmap(blocker, PG);

	p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "shared file map");
	p[1] = 'X';
	q = mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, hole(4));
	CHECK(q != MAP_FAILED && q[1] == 'X' && q[PG] == 'b', "moved shared file mapping");
	q[PG + 1] = 'Y';
	CHECK(pread(fd, buf, 2, (off_t)PG) == 2 && buf[1] == 'Y', "write through the moved mapping");
	munmap(q, 2 * PG);
	close(fd);
	unlink(path);
}

/* glibc moves large (mmap'd) malloc blocks with mremap. */
static void test_realloc(void)
{
	size_t n = 1 << 20;
	unsigned *a = malloc(n);

	CHECK(a != NULL, "malloc");
	for (size_t i = 0; i < n / 4; i++)
		a[i] = (unsigned)i * 2654435761u;
	for (size_t size = 2 * n; size <= (64u << 20); size *= 2) {
		a = realloc(a, size);
		CHECK(a != NULL, "realloc %zu", size);
		a[size / 4 - 1] = 1;
	}
	for (size_t i = 0; i < n / 4; i++)
		CHECK(a[i] == (unsigned)i * 2654435761u, "realloc lost word %zu", i);
	a = realloc(a, n / 2);
	CHECK(a != NULL && a[n / 8 - 1] == (unsigned)(n / 8 - 1) * 2654435761u, "shrink");
	free(a);
}

int main(void)
{
	test_grow_shrink();
	test_fixed_and_errors();
	if (!under_qemu_user()) /* qemu-user 7.2 has no MREMAP_DONTUNMAP */
		test_dontunmap();
	test_shared();
	test_cow();
	test_file();
	test_realloc();
	return 0;
}
