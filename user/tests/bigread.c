/*
 * /tests/bigread: init of the big-file boot test (scripts/run-tests.sh,
 * bigread_test): at -m 128M, read and check a file several times larger
 * than RAM on the ext4 disk labelled ferrite-big, so the page cache must
 * give its pages back as the read goes (issue 9, "Caches"). The file's
 * 8-byte words hold their own index, so a page read from the wrong place or
 * a stale page is caught, not only a checksum. Then the same through
 * mmap, in windows of 16 MiB (mapped pages are not reclaimed: a window is
 * unmapped before the next). Prints BIGREAD_OK (or BIGREAD_FAIL) and
 * powers off. Not in a test group: it needs its disk and the small memory.
 */
#include "common.h"
#include "disk_label.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>

#define MNT "/mnt-big"
#define WINDOW (16u << 20)

static int check_words(const uint64_t *w, size_t n, uint64_t first)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] != first + i) {
			printf("word %llu is %llu\n", (unsigned long long)(first + i),
			       (unsigned long long)w[i]);
			return -1;
		}
	return 0;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int run(void)
{
	static uint64_t buf[(1 << 16) / 8];
	const char *dev = disk_find_ext4("ferrite-big");
	struct stat st;

	if (!dev) {
		printf("no disk labelled ferrite-big\n");
		return -1;
	}
	mkdir(MNT, 0755);
	if (mount(dev, MNT, "ext4", MS_RDONLY, NULL)) {
		perror("mount");
		return -1;
	}
	int fd = open(MNT "/big.bin", O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || st.st_size <= 0 || st.st_size % WINDOW) {
		perror("open big.bin");
		return -1;
	}
	double t0 = now();
	for (off_t off = 0; off < st.st_size; off += sizeof(buf)) {
		if (pread(fd, buf, sizeof(buf), off) != (ssize_t)sizeof(buf)) {
			perror("pread");
			return -1;
		}
		if (check_words(buf, sizeof(buf) / 8, (uint64_t)off / 8))
			return -1;
	}
	double t1 = now();
	printf("bigread: read(2) of %lld MiB checked in %.1f s\n", (long long)(st.st_size >> 20), t1 - t0);
	off_t mapped = st.st_size;
	for (off_t off = 0; off < mapped; off += WINDOW) {
		const uint64_t *m = mmap(NULL, WINDOW, PROT_READ, MAP_PRIVATE, fd, off);
		if (m == MAP_FAILED) {
			perror("mmap");
			return -1;
		}
		if (check_words(m, WINDOW / 8, (uint64_t)off / 8))
			return -1;
		munmap((void *)m, WINDOW);
	}
	printf("bigread: mmap of %lld MiB checked in %.1f s\n", (long long)(mapped >> 20), now() - t1);
	close(fd);
	if (umount(MNT)) {
		perror("umount");
		return -1;
	}
	return 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int bad = run();
	printf(bad ? "BIGREAD_FAIL\n" : "BIGREAD_OK\n");
	if (getpid() == 1)
		reboot(RB_POWER_OFF);
	return bad ? 1 : 0;
}
