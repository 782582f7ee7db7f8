/*
 * Writable MAP_SHARED mappings of disk files (issue 9), on the ext4 disk
 * labelled ferrite-ext4w and the FAT32 disk labelled FERRITEFATT (each
 * mounted here; on Linux, and when a disk is missing, a /tmp directory):
 * - a store through the mapping is seen by read(2) at once (one page
 *   cache), in a sparse file too (ext4 gives the holes blocks at
 *   write-back);
 * - msync(MS_SYNC), fsync, sync_file_range and munmap + close + reopen
 *   keep the data; sync_file_range's errors are Linux's;
 *   msync's errors (EINVAL, ENOMEM, EBUSY with MS_INVALIDATE on mlocked
 *   pages) are Linux's;
 * - a page past the end of file gives SIGBUS on a store; truncate under
 *   the mapping zeroes the tail, SIGBUS past it, and write-back does not
 *   grow the file again;
 * - two processes (fork, and a second mmap in a child) share the pages;
 * - PROT_WRITE on a read-only fd is EACCES.
 * Files left on the disks are reported (EXT4W-FILE / FAT-FILE lines) so
 * the host compares them with what debugfs and mtools read after umount.
 */
#include "common.h"
#include "disk_label.h"
#include "sha256.h"
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PG 4096
#define EXT4_MNT "/tmp/mapshared-ext4"
#define FAT_MNT "/tmp/mapshared-fat"

enum disk { NONE, EXT4, FAT };

static char path_buf[300];
static volatile unsigned char *touch_at;

static const char *P(const char *dir, const char *name)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, name);
	return path_buf;
}

static unsigned char pat(size_t i, unsigned seed) { return (unsigned char)(i * 13 + seed + i / 4091); }

static void fill(volatile unsigned char *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = pat(i, seed);
}

static bool same(const unsigned char *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] != pat(i, seed))
			return false;
	return true;
}

/* Read the whole file by read(2): its bytes and size. */
static unsigned char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	struct stat st;

	CHECK(fd >= 0 && fstat(fd, &st) == 0, "open %s", path);
	unsigned char *b = malloc((size_t)st.st_size + 1);
	CHECK(b && read(fd, b, (size_t)st.st_size) == st.st_size, "read %s", path);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

/* The host's check of what reached the disk (scripts/run-tests.sh). */
static void report(enum disk disk, const char *dir, const char *name)
{
	size_t len;
	unsigned char *b = slurp(P(dir, name), &len);

	if (disk == EXT4) {
		struct sha256 s;
		char hex[65];
		sha256_init(&s);
		sha256_update(&s, b, len);
		sha256_hex(&s, hex);
		printf("EXT4W-FILE /%s %zu %s\n", name, len, hex);
	} else if (disk == FAT) {
		uint64_t h = 0xcbf29ce484222325ull;
		for (size_t i = 0; i < len; i++)
			h = (h ^ b[i]) * 0x100000001b3ull;
		printf("FAT-FILE %zu %016llx ./%s\n", len, (unsigned long long)h, name);
	}
	free(b);
}

static int open_sized(const char *path, off_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0, "create %s", path);
	CHECK(ftruncate(fd, size) == 0, "ftruncate %s", path);
	return fd;
}

static unsigned char *map_rw(int fd, size_t len)
{
	unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	CHECK(m != MAP_FAILED, "mmap shared writable: %s", strerror(errno));
	return m;
}

/* Stores through the mapping: read(2) sees them; msync and fsync write
 * them; a sparse file's holes get blocks. */
static void write_then_read(const char *dir, enum disk disk)
{
	size_t len = 5 * PG + 123;
	int fd = open_sized(P(dir, "ms-sync.bin"), (off_t)len);
	unsigned char *m = map_rw(fd, 6 * PG);
	unsigned char *r = malloc(len);

	fill(m, len, 3);
	CHECK(pread(fd, r, len, 0) == (ssize_t)len && same(r, len, 3), "read(2) sees the stores");
	CHECK(msync(m, 6 * PG, MS_SYNC) == 0, "msync MS_SYNC: %s", strerror(errno));
	m[PG + 7] = 0xee; /* dirty again after the write-back */
	r[0] = 0;
	CHECK(pread(fd, r, len, 0) == (ssize_t)len && r[PG + 7] == 0xee, "a store after msync");
	m[PG + 7] = pat(PG + 7, 3);
	CHECK(fsync(fd) == 0 && fdatasync(fd) == 0, "fsync");
	m[3 * PG] ^= 0xff;
	CHECK(sync_file_range(fd, 3 * PG, PG, SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) == 0,
	      "sync_file_range: %s", strerror(errno));
	m[3 * PG] ^= 0xff;
	CHECK(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0, "sync_file_range to the end");
	CHECK(msync(m, PG, MS_ASYNC) == 0 && msync(m, PG, MS_INVALIDATE) == 0, "MS_ASYNC, MS_INVALIDATE");
	struct stat st;
	CHECK(fstat(fd, &st) == 0 && st.st_size == (off_t)len, "size unchanged: %lld",
	      (long long)st.st_size);
	if (disk == EXT4)
		CHECK(st.st_blocks >= (blkcnt_t)(len / 512), "holes have blocks: %lld",
		      (long long)st.st_blocks);
	CHECK(munmap(m, 6 * PG) == 0, "munmap");
	close(fd);
	free(r);
	report(disk, dir, "ms-sync.bin");
}

/* No msync: munmap and close, then the data is read back from the file;
 * the host finds it on the disk after umount. */
static void unmap_reopen(const char *dir, enum disk disk)
{
	size_t len = 3 * PG;
	int fd = open_sized(P(dir, "ms-unmap.bin"), (off_t)len);
	unsigned char *m = map_rw(fd, len);

	fill(m, len, 11);
	CHECK(munmap(m, len) == 0, "munmap");
	close(fd);
	size_t n;
	unsigned char *b = slurp(P(dir, "ms-unmap.bin"), &n);
	CHECK(n == len && same(b, len, 11), "the stores survive munmap and close");
	free(b);
	/* Map again: the mapping holds them too. */
	fd = open(P(dir, "ms-unmap.bin"), O_RDONLY);
	m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(fd >= 0 && m != MAP_FAILED && same(m, len, 11), "mapped again");
	munmap(m, len);
	close(fd);
	report(disk, dir, "ms-unmap.bin");
}

static void store(void *arg)
{
	(void)arg;
	*touch_at = 1;
}

/* SIGBUS past the end; truncate under the mapping. */
static void past_eof(const char *dir, enum disk disk)
{
	int fd = open_sized(P(dir, "ms-trunc.bin"), 2 * PG + 100);
	unsigned char *m = map_rw(fd, 4 * PG);

	fill(m, 2 * PG + 100, 5);
	touch_at = m + 3 * PG;
	expect_killed_by(run_in_child(store, NULL), SIGBUS, "store a page past the end");
	m[2 * PG + 200] = 7; /* the last page's tail: mapped, never written to the file */
	CHECK(ftruncate(fd, PG + 10) == 0, "ftruncate under the mapping");
	CHECK(m[PG + 9] == pat(PG + 9, 5) && m[PG + 10] == 0 && m[2 * PG - 1] == 0, "tail zeroed");
	touch_at = m + 2 * PG + 5;
	expect_killed_by(run_in_child(store, NULL), SIGBUS, "store past the truncated end");
	m[PG + 100] = 9; /* past EOF in the last page: not written */
	CHECK(msync(m, 4 * PG, MS_SYNC) == 0 && fsync(fd) == 0, "msync after truncate");
	struct stat st;
	CHECK(fstat(fd, &st) == 0 && st.st_size == PG + 10, "write-back keeps the size: %lld",
	      (long long)st.st_size);
	munmap(m, 4 * PG);
	close(fd);
	report(disk, dir, "ms-trunc.bin");
}

/* fork shares the pages; so does a second mapping made in a child. */
static void two_processes(const char *dir, enum disk disk)
{
	int fd = open_sized(P(dir, "ms-share.bin"), 2 * PG);
	unsigned char *m = map_rw(fd, 2 * PG);

	m[0] = 1;
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		m[1] = 2; /* the inherited mapping */
		int fd2 = open(P(dir, "ms-share.bin"), O_RDWR);
		unsigned char *m2 = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
		if (fd2 < 0 || m2 == MAP_FAILED || m2[0] != 1)
			_exit(3);
		m2[PG + 1] = 4;
		_exit(0);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child: status %#x", status);
	CHECK(m[1] == 2 && m[PG + 1] == 4, "the child's stores: %u %u", m[1], m[PG + 1]);
	unsigned char b[2];
	CHECK(pread(fd, b, 2, PG) == 2 && b[1] == 4, "read(2) sees them");
	munmap(m, 2 * PG);
	close(fd);
	report(disk, dir, "ms-share.bin");
}

static void errors(const char *dir)
{
	int fd = open_sized(P(dir, "ms-err.bin"), PG);
	close(fd);
	fd = open(P(dir, "ms-err.bin"), O_RDONLY);
	CHECK(fd >= 0, "open read-only");
	CHECK(mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED && errno == EACCES,
	      "PROT_WRITE of a read-only fd: %s", strerror(errno));
	unsigned char *m = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED, "read-only shared mapping");
	CHECK_ERRNO(msync(m + 1, PG, MS_SYNC), EINVAL);
	CHECK_ERRNO(msync(m, PG, MS_SYNC | MS_ASYNC), EINVAL);
	CHECK_ERRNO(msync(m, PG, 8), EINVAL);
	CHECK(mlock(m, PG) == 0, "mlock");
	CHECK_ERRNO(msync(m, PG, MS_INVALIDATE), EBUSY);
	CHECK(munlock(m, PG) == 0 && munmap(m, PG) == 0, "munmap");
	CHECK_ERRNO(msync(m, PG, MS_SYNC), ENOMEM);
	CHECK_ERRNO(sync_file_range(fd, 0, 0, 8), EINVAL);
	CHECK_ERRNO(sync_file_range(fd, -1, 0, SYNC_FILE_RANGE_WRITE), EINVAL);
	CHECK_ERRNO(sync_file_range(fd, 0, -1, SYNC_FILE_RANGE_WRITE), EINVAL);
	CHECK_ERRNO(sync_file_range(-1, 0, 0, SYNC_FILE_RANGE_WRITE), EBADF);
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	CHECK_ERRNO(sync_file_range(p[0], 0, 0, SYNC_FILE_RANGE_WRITE), ESPIPE);
	close(p[0]);
	close(p[1]);
	close(fd);
	CHECK(unlink(P(dir, "ms-err.bin")) == 0, "unlink");
}

static void run_all(const char *dir, enum disk disk)
{
	write_then_read(dir, disk);
	unmap_reopen(dir, disk);
	past_eof(dir, disk);
	two_processes(dir, disk);
	errors(dir);
}

/* On Linux's /tmp: leave nothing behind. */
static void cleanup(const char *dir)
{
	static const char *const names[] = { "ms-sync.bin", "ms-unmap.bin", "ms-trunc.bin", "ms-share.bin" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(P(dir, names[i]));
	rmdir(dir);
}

int main(void)
{
	char t1[] = "/tmp/mapshared-XXXXXX", t2[] = "/tmp/mapshared-XXXXXX";

	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *dev = disk_find_ext4("ferrite-ext4w");
	const char *dir = disk_test_dir(dev, "ext4", EXT4_MNT, t1);
	run_all(dir, dev ? EXT4 : NONE);
	if (dev)
		CHECK(umount(dir) == 0, "umount %s: %s", dir, strerror(errno));
	else
		cleanup(dir);

	dev = disk_find_fat32("FERRITEFATT");
	dir = disk_test_dir(dev, "vfat", FAT_MNT, t2);
	run_all(dir, dev ? FAT : NONE);
	if (dev)
		CHECK(umount(dir) == 0, "umount %s: %s", dir, strerror(errno));
	else
		cleanup(dir);
	return 0;
}
