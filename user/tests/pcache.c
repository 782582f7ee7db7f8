/*
 * The page cache of disk files (issue 9): read(2), write(2), mmap and
 * execve of files on the ext4 disk labelled ferrite-ext4w and the FAT32
 * disk labelled FERRITEFATT (each mounted here, as ext4w and fat do; on
 * Linux, and when a disk is missing, a /tmp directory stands in):
 * - MAP_PRIVATE and MAP_SHARED mappings see write(2)s made after them;
 *   a private page once written is the process's own and the file keeps
 *   its bytes;
 * - the partial last page reads zeros past the end of file, and a page
 *   wholly past it gives SIGBUS;
 * - truncate under a mapping: the tail of the last page reads zeros,
 *   pages past the new end give SIGBUS, and growing again shows zeros;
 * - a program copied to the disk runs (execve maps its segments from the
 *   cache), several at once;
 * - a file of a few MiB reads back right by read(2) and mmap (the
 *   file larger than RAM is the bigread boot test's).
 */
#include "common.h"
#include "disk_label.h"
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PG 4096
#define EXT4_MNT "/tmp/pcache-ext4"
#define FAT_MNT "/tmp/pcache-fat"

static char path_buf[300];

static const char *P(const char *dir, const char *name)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, name);
	return path_buf;
}

static unsigned char pat(size_t i, unsigned seed) { return (unsigned char)(i * 7 + seed + i / 4093); }

static void fill(unsigned char *b, size_t off, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = pat(off + i, seed);
}

static void write_all(int fd, const void *b, size_t n, off_t off)
{
	CHECK(pwrite(fd, b, n, off) == (ssize_t)n, "pwrite %zu at %lld", n, (long long)off);
}

/* read(2) and both kinds of mapping agree with what was written, and
 * see writes made after they were set up. */
static void coherence(const char *dir)
{
	size_t len = 3 * PG + 1000;
	unsigned char *b = malloc(len), *r = malloc(len);
	int fd = open(P(dir, "coh.bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0 && b && r, "create coh.bin in %s", dir);
	fill(b, 0, len, 1);
	write_all(fd, b, len, 0);
	CHECK(pread(fd, r, len, 0) == (ssize_t)len && !memcmp(b, r, len), "read back");

	unsigned char *priv = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	unsigned char *shr = mmap(NULL, 4 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(priv != MAP_FAILED && shr != MAP_FAILED, "mmap");
	CHECK(!memcmp(priv, b, len) && !memcmp(shr, b, len), "mappings hold the file");
	for (size_t i = len; i < 4 * PG; i++)
		CHECK(priv[i] == 0 && shr[i] == 0, "zero past the end at %zu", i);

	/* A write after the mappings: both see it (the private page is untouched). */
	unsigned char w[100];
	fill(w, 0, sizeof(w), 9);
	write_all(fd, w, sizeof(w), PG + 50);
	CHECK(!memcmp(shr + PG + 50, w, sizeof(w)), "shared mapping sees write(2)");
	CHECK(!memcmp(priv + PG + 50, w, sizeof(w)), "private mapping sees write(2) before its own");

	/* A private write: the process's own copy; the file and the shared
	 * mapping keep their bytes, and later file writes no longer show. */
	priv[2 * PG + 5] = 0xAB;
	unsigned char c;
	CHECK(pread(fd, &c, 1, 2 * PG + 5) == 1 && c == pat(2 * PG + 5, 1), "file unchanged");
	CHECK(shr[2 * PG + 5] == pat(2 * PG + 5, 1), "shared unchanged");
	c = 0x11;
	write_all(fd, &c, 1, 2 * PG + 6);
	CHECK(shr[2 * PG + 6] == 0x11, "shared sees the byte");
	CHECK(priv[2 * PG + 6] == pat(2 * PG + 6, 1), "private copy does not");
	CHECK(priv[2 * PG + 5] == 0xAB, "private copy kept");

	/* The file grows by write: a new mapping reads the new bytes. */
	fill(w, 0, sizeof(w), 3);
	write_all(fd, w, sizeof(w), 5 * PG);
	unsigned char *m2 = mmap(NULL, 6 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m2 != MAP_FAILED, "mmap 6 pages");
	CHECK(!memcmp(m2 + 5 * PG, w, sizeof(w)), "grown part mapped");
	for (size_t i = len; i < 5 * PG; i++)
		if (m2[i] != 0)
			FAIL("hole byte %zu is %u", i, m2[i]);
	CHECK(munmap(m2, 6 * PG) == 0 && munmap(priv, 4 * PG) == 0 && munmap(shr, 4 * PG) == 0,
	      "munmap");
	close(fd);
	free(b);
	free(r);
}

static volatile unsigned char *touch_at;

static void touch(void *arg)
{
	(void)arg;
	unsigned char v = *touch_at;
	(void)v;
}

/* A page wholly past the end: SIGBUS; after truncate, pages past the new
 * end too, and the last page's tail reads zeros. */
static void past_eof(const char *dir)
{
	int fd = open(P(dir, "eof.bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	unsigned char b[PG + 10];

	CHECK(fd >= 0, "create eof.bin");
	fill(b, 0, sizeof(b), 5);
	write_all(fd, b, sizeof(b), 0);
	unsigned char *m = mmap(NULL, 4 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "mmap eof.bin");
	CHECK(m[PG + 9] == b[PG + 9] && m[PG + 10] == 0 && m[2 * PG - 1] == 0, "last page");
	touch_at = m + 2 * PG;
	expect_killed_by(run_in_child(touch, NULL), SIGBUS, "read a page past the end");
	touch_at = m + 3 * PG + 100;
	expect_killed_by(run_in_child(touch, NULL), SIGBUS, "read two pages past the end");

	/* Truncate under the mapping. */
	CHECK(m[PG + 5] == b[PG + 5] && m[200] == b[200], "mapped before truncate");
	CHECK(ftruncate(fd, 100) == 0, "ftruncate 100");
	CHECK(m[99] == b[99], "kept byte");
	for (size_t i = 100; i < PG; i++)
		if (m[i] != 0)
			FAIL("byte %zu past the new end is %u", i, m[i]);
	touch_at = m + PG + 5;
	expect_killed_by(run_in_child(touch, NULL), SIGBUS, "page past the truncated end");
	unsigned char r[PG + 10];
	CHECK(pread(fd, r, sizeof(r), 0) == 100 && !memcmp(r, b, 100), "read after truncate");
	/* Growing again: zeros, seen through the same mapping. */
	CHECK(ftruncate(fd, 2 * PG) == 0, "ftruncate up");
	CHECK(m[PG + 5] == 0 && m[150] == 0 && m[50] == b[50], "grown part reads zero");
	CHECK(munmap(m, 4 * PG) == 0, "munmap");
	close(fd);
}

/* A copy of this program on the disk runs, four at once. */
static void exec_from_disk(const char *dir, const char *self)
{
	char prog[300];
	int in = open(self, O_RDONLY);
	snprintf(prog, sizeof(prog), "%s/prog", dir);
	int out = open(prog, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	static char buf[65536];
	ssize_t n;

	CHECK(in >= 0 && out >= 0, "copy %s to %s", self, prog);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		CHECK(write(out, buf, (size_t)n) == n, "copy");
	CHECK(n == 0 && close(out) == 0, "copy end");
	close(in);
	pid_t pids[4];
	for (int i = 0; i < 4; i++) {
		fflush(NULL);
		pids[i] = fork();
		CHECK(pids[i] >= 0, "fork");
		if (pids[i] == 0) {
			char *argv[] = { prog, "child", NULL };
			test_execve(prog, argv, environ);
			_exit(99);
		}
	}
	for (int i = 0; i < 4; i++) {
		int st;
		CHECK(waitpid(pids[i], &st, 0) == pids[i], "wait");
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42, "copy %d exit status 0x%x", i, st);
	}
	CHECK(unlink(prog) == 0, "unlink prog");
}

/* A file of mib MiB: checksum by read(2) and by mmap. */
static void big_file(const char *dir, size_t mib)
{
	int fd = open(P(dir, "big.bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	static unsigned char b[1 << 16];
	uint64_t want = 0, got = 0, mgot = 0;

	CHECK(fd >= 0, "create big.bin");
	for (size_t off = 0; off < mib << 20; off += sizeof(b)) {
		fill(b, off, sizeof(b), 7);
		for (size_t i = 0; i < sizeof(b); i += 8)
			want = want * 31 + b[i];
		write_all(fd, b, sizeof(b), (off_t)off);
	}
	for (size_t off = 0; off < mib << 20; off += sizeof(b)) {
		CHECK(pread(fd, b, sizeof(b), (off_t)off) == (ssize_t)sizeof(b), "read big");
		for (size_t i = 0; i < sizeof(b); i += 8)
			got = got * 31 + b[i];
	}
	CHECK(got == want, "read checksum");
	unsigned char *m = mmap(NULL, mib << 20, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(m != MAP_FAILED, "mmap big");
	for (size_t i = 0; i < mib << 20; i += 8)
		mgot = mgot * 31 + m[i];
	CHECK(mgot == want, "mmap checksum");
	CHECK(munmap(m, mib << 20) == 0, "munmap big");
	close(fd);
	CHECK(unlink(P(dir, "big.bin")) == 0, "unlink big");
}

static void run_all(const char *dir, const char *self)
{
	coherence(dir);
	past_eof(dir);
	exec_from_disk(dir, self);
	big_file(dir, 2);
	CHECK(unlink(P(dir, "coh.bin")) == 0 && unlink(P(dir, "eof.bin")) == 0, "unlink");
}

/* Mount the disk labelled label (type fstype) at mnt, or make a /tmp
 * directory: the directory to test in. */
static void teardown(const char *dev, const char *dir)
{
	if (dev)
		CHECK(umount(dir) == 0, "umount %s", dir);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	char t1[] = "/tmp/pcache-XXXXXX", t2[] = "/tmp/pcache-XXXXXX";

	if (argc > 1 && !strcmp(argv[1], "child"))
		return 42;
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *self = "/proc/self/exe";
	char selfpath[256];
	ssize_t n = readlink(self, selfpath, sizeof(selfpath) - 1);
	CHECK(n > 0, "readlink /proc/self/exe");
	selfpath[n] = 0;

	const char *dev = disk_find_ext4("ferrite-ext4w");
	const char *dir = disk_test_dir(dev, "ext4", EXT4_MNT, t1);
	run_all(dir, selfpath);
	teardown(dev, dir);

	dev = disk_find_fat32("FERRITEFATT");
	dir = disk_test_dir(dev, "vfat", FAT_MNT, t2);
	run_all(dir, selfpath);
	teardown(dev, dir);
	return 0;
}
