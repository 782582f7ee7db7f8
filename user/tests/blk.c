/*
 * The first virtio-blk disk as a file (/dev/vda): size ioctls, reads of the
 * pattern the host wrote into the scratch image (scripts/blk-image.py),
 * writes at aligned and unaligned offsets (read-modify-write inside the
 * kernel), fsync, reads back, concurrent readers and writers, and the
 * edges (end of device, bad ioctls). scripts/run-tests.sh checks the
 * image bytes on the host after QEMU exits; the written regions below
 * must match WRITES in scripts/blk-image.py.
 * No /dev/vda, or one that is not the scratch image (the Linux reference
 * run, whose machine may have a real /dev/vda): skip, without writing.
 */
#include "common.h"
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#define BLKGETSIZE_ 0x1260
#define BLKFLSBUF_ 0x1261
#define BLKSSZGET_ 0x1268
#define BLKGETSIZE64_ 0x80081272UL

#define MIB (1024L * 1024)
#define IMAGE_SIZE (8 * MIB)

static uint8_t orig(uint64_t off) { return (uint8_t)(((off >> 9) * 7 + (off & 511)) & 0xff); }
static uint8_t wpat(uint64_t off) { return (uint8_t)~orig(off); }

struct region {
	long off, len;
};
/* Keep in step with scripts/blk-image.py. */
static const struct region writes[] = {
	{ 2 * MIB, 8192 },            /* aligned */
	{ 3 * MIB + 123, 1000 },      /* unaligned, several sectors */
	{ 4 * MIB + 500, 100 },       /* across one sector boundary */
	{ 5 * MIB + 7, 1 },           /* one byte */
	{ IMAGE_SIZE - 300, 300 },    /* the last bytes, by lseek(SEEK_END) + write */
};
#define NCHILD 4
static long child_off(int k) { return 6 * MIB + k * 262144L + 11 * k; }
#define CHILD_LEN 100000L

static bool written(long off)
{
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
		if (off >= writes[i].off && off < writes[i].off + writes[i].len)
			return true;
	for (int k = 0; k < NCHILD; k++)
		if (off >= child_off(k) && off < child_off(k) + CHILD_LEN)
			return true;
	return false;
}

static void fill(uint8_t *buf, long off, long len)
{
	for (long i = 0; i < len; i++)
		buf[i] = wpat(off + i);
}

static void check_orig(int fd, long off, long len)
{
	uint8_t *buf = malloc(len);
	CHECK(buf, "malloc");
	CHECK(pread(fd, buf, len, off) == len, "pread %ld at %ld", len, off);
	for (long i = 0; i < len; i++)
		CHECK(buf[i] == orig(off + i), "byte at %ld is %#x, want %#x", off + i, buf[i],
		      orig(off + i));
	free(buf);
}

static void do_write(int fd, long off, long len)
{
	uint8_t *buf = malloc(len);
	CHECK(buf, "malloc");
	fill(buf, off, len);
	CHECK(pwrite(fd, buf, len, off) == len, "pwrite %ld at %ld", len, off);
	free(buf);
}

/* Read-only look: 8 MiB holding the pattern of scripts/blk-image.py. */
static bool is_scratch_disk(void)
{
	uint8_t buf[4096];
	uint64_t size = 0;
	int fd = open("/dev/vda", O_RDONLY);

	if (fd < 0)
		return false;
	bool ok = ioctl(fd, BLKGETSIZE64_, &size) == 0 && size == IMAGE_SIZE &&
		  pread(fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf);
	for (size_t i = 0; ok && i < sizeof(buf); i++)
		ok = buf[i] == orig(i);
	close(fd);
	return ok;
}

int main(void)
{
	if (access("/dev/vda", F_OK) != 0) {
		printf("no /dev/vda: skipped\n");
		return 77;
	}
	/* Write only to the scratch image: a machine's real /dev/vda (a Linux
	 * host running the reference run) has another size or content. */
	if (!is_scratch_disk()) {
		printf("/dev/vda is not the scratch image: skipped\n");
		return 77;
	}
	struct stat st;
	CHECK(stat("/dev/vda", &st) == 0, "stat /dev/vda");
	CHECK(S_ISBLK(st.st_mode), "/dev/vda is not a block device");
	CHECK(major(st.st_rdev) == 254 && minor(st.st_rdev) == 0, "rdev %u:%u",
	      major(st.st_rdev), minor(st.st_rdev));

	int fd = open("/dev/vda", O_RDWR);
	CHECK(fd >= 0, "open /dev/vda");
	uint64_t size = 0;
	unsigned long sectors = 0;
	int ssz = 0;
	CHECK(ioctl(fd, BLKGETSIZE64_, &size) == 0, "BLKGETSIZE64");
	CHECK(size == IMAGE_SIZE, "size %llu, want %ld (the scratch image)",
	      (unsigned long long)size, IMAGE_SIZE);
	CHECK(ioctl(fd, BLKGETSIZE_, &sectors) == 0 && sectors == size / 512, "BLKGETSIZE");
	CHECK(ioctl(fd, BLKSSZGET_, &ssz) == 0 && ssz == 512, "BLKSSZGET %d", ssz);
	CHECK_ERRNO(ioctl(fd, BLKGETSIZE64_, launder_ptr(16)), EFAULT);
	CHECK_ERRNO(ioctl(fd, 0x1234, 0), ENOTTY);
	CHECK(lseek(fd, 0, SEEK_END) == (off_t)size, "lseek SEEK_END");
	CHECK_ERRNO(lseek(fd, 1, SEEK_END), EINVAL);
	CHECK_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK(lseek(fd, 4096, SEEK_HOLE) == (off_t)size, "SEEK_HOLE");
	CHECK(lseek(fd, 4096, SEEK_DATA) == 4096, "SEEK_DATA");
	CHECK_ERRNO(lseek(fd, size, SEEK_DATA), ENXIO);

	/* What the host wrote: aligned, unaligned, one big multi-request read. */
	check_orig(fd, 0, 4096);
	check_orig(fd, 513, 77);
	check_orig(fd, 100, MIB + 17);

	/* Concurrent readers, then writers of disjoint regions. */
	for (int k = 0; k < NCHILD; k++) {
		pid_t pid = fork();
		CHECK(pid >= 0, "fork");
		if (pid == 0) {
			check_orig(fd, k * 4096 + 3, 512 * 1024);
			do_write(fd, child_off(k), CHILD_LEN);
			_exit(0);
		}
	}
	for (int k = 0; k < NCHILD; k++) {
		int status;
		CHECK(wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "child failed");
	}

	for (size_t i = 0; i + 1 < sizeof(writes) / sizeof(writes[0]); i++)
		do_write(fd, writes[i].off, writes[i].len);
	/* The last region through the file position. */
	const struct region *last = &writes[sizeof(writes) / sizeof(writes[0]) - 1];
	uint8_t tail[300];
	fill(tail, last->off, last->len);
	CHECK(lseek(fd, -last->len, SEEK_END) == last->off, "lseek to the tail");
	CHECK(write(fd, tail, last->len) == last->len, "write the tail");
	CHECK(lseek(fd, 0, SEEK_CUR) == (off_t)size, "position after the tail");
	CHECK_ERRNO(write(fd, tail, 1), ENOSPC);
	CHECK(read(fd, tail, 1) == 0, "read at the end");
	CHECK(pread(fd, tail, 100, size - 10) == 10, "short read at the end");
	CHECK(fsync(fd) == 0, "fsync");
	CHECK(fdatasync(fd) == 0, "fdatasync");
	CHECK(ioctl(fd, BLKFLSBUF_, 0) == 0, "BLKFLSBUF");

	/* Every byte of the disk, as a second open file sees it. */
	int fd2 = open("/dev/vda", O_RDONLY);
	CHECK(fd2 >= 0, "open read-only");
	CHECK_ERRNO(write(fd2, tail, 1), EBADF);
	uint8_t *all = malloc(IMAGE_SIZE);
	CHECK(all, "malloc");
	for (long done = 0; done < IMAGE_SIZE;) {
		ssize_t n = read(fd2, all + done, 3 * MIB);
		CHECK(n > 0, "read at %ld", done);
		done += n;
	}
	for (long off = 0; off < IMAGE_SIZE; off++) {
		uint8_t want = written(off) ? wpat(off) : orig(off);
		CHECK(all[off] == want, "byte at %ld is %#x, want %#x", off, all[off], want);
	}
	free(all);
	close(fd2);
	close(fd);
	return 0;
}
