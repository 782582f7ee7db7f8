/*
 * ext4 read-write: the file-system calls on a writable disk. Inside
 * Ferrite the runner attaches a fresh mkfs.ext4 image labelled
 * "ferrite-ext4w" (scripts/run-tests.sh); the test mounts it read-write
 * and works there. Without such a disk (Linux, which proves the
 * expectations) it works in a temporary directory instead.
 *
 * Covered: create, write, read, O_APPEND, O_TRUNC, O_SYNC, holes,
 * truncate/ftruncate, fsync/fdatasync/sync/syncfs, mkdir, rmdir
 * (ENOTEMPTY), unlink, link, symlink (fast and slow), mknod (fifo),
 * rename (over a file, a directory across directories and its ".."),
 * renameat2 RENAME_NOREPLACE and RENAME_EXCHANGE, chmod, chown, utimensat
 * with nanoseconds, an unlinked file kept open, a directory of 10,000
 * names, 4 processes appending at once; on the disk also remount
 * read-only and back, umount and mount again (everything still there).
 *
 * The files left on the disk are reported, one line each,
 * "EXT4W-FILE /path size sha256", for the host to compare with what
 * debugfs reads from the image after the run (and e2fsck -fn).
 */
#include "common.h"
#include "disk_label.h"
#include <dirent.h>
#include <ftw.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/statvfs.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#define LABEL "ferrite-ext4w"
#define MNT "/tmp/ext4w-mnt"
#define NAMES 10000

static char base[256];   /* where the test works */
static bool on_disk;

#include "sha256.h"

/* ---- helpers ---- */
static char *P(const char *rel)
{
	static char bufs[4][512];
	static int k;
	char *b = bufs[k++ & 3];
	snprintf(b, 512, "%s/%s", base, rel);
	return b;
}

static void pattern(unsigned char *buf, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (unsigned char)(x >> 16);
	}
}

static void write_all(int fd, const void *buf, size_t n)
{
	CHECK(write(fd, buf, n) == (ssize_t)n, "write %zu", n);
}

static void put_file(const char *rel, unsigned seed, size_t len)
{
	unsigned char *buf = malloc(len + 1);
	pattern(buf, len, seed);
	int fd = open(P(rel), O_CREAT | O_TRUNC | O_WRONLY, 0644);
	CHECK(fd >= 0, "create %s", rel);
	write_all(fd, buf, len);
	CHECK(close(fd) == 0, "close");
	free(buf);
}

static void check_file(const char *rel, unsigned seed, size_t len)
{
	unsigned char *want = malloc(len + 1), *got = malloc(len + 100);
	pattern(want, len, seed);
	int fd = open(P(rel), O_RDONLY);
	CHECK(fd >= 0, "open %s", rel);
	size_t n = 0;
	ssize_t r;
	while ((r = read(fd, got + n, len + 100 - n)) > 0)
		n += (size_t)r;
	CHECK(n == len && !memcmp(want, got, len), "%s: %zu bytes, want %zu", rel, n, len);
	close(fd);
	free(want);
	free(got);
}

/* Report a file left on the disk (for the host's debugfs comparison). */
static void report(const char *rel)
{
	struct sha256 s;
	char hex[65];
	unsigned char buf[65536];
	ssize_t r;
	struct stat st;
	int fd = open(P(rel), O_RDONLY);

	CHECK(fd >= 0 && fstat(fd, &st) == 0, "report %s", rel);
	sha256_init(&s);
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(&s, buf, (size_t)r);
	close(fd);
	sha256_hex(&s, hex);
	if (on_disk)
		printf("EXT4W-FILE /%s %lld %s\n", rel, (long long)st.st_size, hex);
}

/* ---- the cases ---- */
static void files(void)
{
	unsigned char buf[8192], got[8192];
	struct stat st;

	put_file("a.bin", 1, 200000);
	check_file("a.bin", 1, 200000);
	CHECK(stat(P("a.bin"), &st) == 0 && st.st_size == 200000, "size");
	CHECK(st.st_blocks >= 200000 / 512, "st_blocks %lld", (long long)st.st_blocks);

	/* O_APPEND, O_TRUNC */
	int fd = open(P("log"), O_CREAT | O_WRONLY | O_APPEND, 0600);
	CHECK(fd >= 0, "open log");
	write_all(fd, "one\n", 4);
	CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
	write_all(fd, "two\n", 4);
	close(fd);
	fd = open(P("log"), O_RDONLY);
	CHECK(read(fd, got, sizeof(got)) == 8 && !memcmp(got, "one\ntwo\n", 8), "append");
	close(fd);
	fd = open(P("log"), O_WRONLY | O_TRUNC);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0, "O_TRUNC");
	write_all(fd, "three\n", 6);
	CHECK(fsync(fd) == 0 && fdatasync(fd) == 0, "fsync");
	close(fd);

	/* holes: a write far past the end, zeros between */
	fd = open(P("sparse.bin"), O_CREAT | O_RDWR, 0644);
	pattern(buf, sizeof(buf), 5);
	CHECK(pwrite(fd, buf, 100, 0) == 100, "pwrite");
	CHECK(pwrite(fd, buf, sizeof(buf), 5 << 20) == (ssize_t)sizeof(buf), "pwrite far");
	CHECK(pread(fd, got, 4096, 1 << 20) == 4096, "pread hole");
	for (int i = 0; i < 4096; i++)
		CHECK(got[i] == 0, "hole byte %d", i);
	CHECK(fstat(fd, &st) == 0 && st.st_size == (5 << 20) + 8192, "sparse size");
	CHECK(st.st_blocks < 200, "sparse st_blocks %lld", (long long)st.st_blocks);
	/* truncate down into a block, then up: zeros after the cut */
	CHECK(ftruncate(fd, 50) == 0, "ftruncate down");
	CHECK(ftruncate(fd, 10000) == 0, "ftruncate up");
	CHECK(pread(fd, got, 200, 0) == 200, "pread");
	CHECK(!memcmp(got, buf, 50), "kept bytes");
	for (int i = 50; i < 200; i++)
		CHECK(got[i] == 0, "byte %d after truncate", i);
	close(fd);
	CHECK(truncate(P("sparse.bin"), 4096 * 3 + 7) == 0, "truncate");

	/* fallocate: mode 0 grows the file, KEEP_SIZE does not; zeros */
	fd = open(P("falloc.bin"), O_CREAT | O_RDWR, 0644);
	CHECK(fd >= 0, "create falloc.bin");
	CHECK(fallocate(fd, 0, 0, 100000) == 0, "fallocate");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 100000 && st.st_blocks >= 100000 / 512,
	      "fallocate size %lld blocks %lld", (long long)st.st_size, (long long)st.st_blocks);
	CHECK(pread(fd, got, 4096, 50000) == 4096, "pread");
	for (int i = 0; i < 4096; i++)
		CHECK(got[i] == 0, "fallocated byte %d", i);
	CHECK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 100000, 200000) == 0, "fallocate keep size");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 100000 && st.st_blocks >= 300000 / 512,
	      "keep size %lld blocks %lld", (long long)st.st_size, (long long)st.st_blocks);
	pattern(buf, sizeof(buf), 13);
	CHECK(pwrite(fd, buf, 5000, 30000) == 5000, "pwrite into fallocated");
	CHECK(pwrite(fd, buf, 100, 150000) == 100, "pwrite past the size");
	CHECK(pread(fd, got, 5000, 30000) == 5000 && !memcmp(got, buf, 5000), "read back");
	CHECK(pread(fd, got, 4096, 120000) == 4096, "pread");
	for (int i = 0; i < 4096; i++)
		CHECK(got[i] == 0, "byte %d before the write", i);
	CHECK(fstat(fd, &st) == 0 && st.st_size == 150100, "size %lld", (long long)st.st_size);
	CHECK_ERRNO(fallocate(fd, 0, -1, 10), EINVAL);
	CHECK_ERRNO(fallocate(fd, 0, 0, 0), EINVAL);
	close(fd);
	fd = open(P("falloc.bin"), O_RDONLY);
	CHECK_ERRNO(fallocate(fd, 0, 0, 10), EBADF);
	close(fd);

	/* O_SYNC */
	fd = open(P("sync.bin"), O_CREAT | O_WRONLY | O_SYNC, 0644);
	pattern(buf, sizeof(buf), 9);
	write_all(fd, buf, sizeof(buf));
	close(fd);
	sync();
	fd = open(P("sync.bin"), O_RDONLY);
	CHECK(syncfs(fd) == 0, "syncfs");
	close(fd);
}

static void names(void)
{
	struct stat st, st2;
	char t[512];

	CHECK(mkdir(P("d"), 0755) == 0, "mkdir");
	CHECK_ERRNO(mkdir(P("d"), 0755), EEXIST);
	CHECK(mkdir(P("d/sub"), 0700) == 0, "mkdir sub");
	CHECK(stat(P("d"), &st) == 0 && st.st_nlink == 3, "nlink %ld", (long)st.st_nlink);
	put_file("d/sub/f", 3, 5000);
	CHECK_ERRNO(rmdir(P("d/sub")), ENOTEMPTY);
	CHECK_ERRNO(unlink(P("d/sub")), EISDIR);
	CHECK_ERRNO(rmdir(P("d/sub/f")), ENOTDIR);

	/* hard link */
	CHECK(link(P("d/sub/f"), P("d/f-link")) == 0, "link");
	CHECK(stat(P("d/f-link"), &st) == 0 && st.st_nlink == 2, "link count");
	CHECK_ERRNO(link(P("d/sub"), P("d/dirlink")), EPERM);

	/* symlinks: fast and slow */
	CHECK(symlink("sub/f", P("d/s-fast")) == 0, "symlink");
	memset(t, 'z', 300);
	t[300] = 0;
	CHECK(symlink(t, P("d/s-slow")) == 0, "slow symlink");
	CHECK(readlink(P("d/s-fast"), t, sizeof(t)) == 5 && !memcmp(t, "sub/f", 5), "readlink");
	CHECK(readlink(P("d/s-slow"), t, sizeof(t)) == 300 && t[299] == 'z', "readlink slow");
	check_file("d/s-fast", 3, 5000);
	CHECK(mkfifo(P("d/fifo"), 0600) == 0, "mkfifo");
	CHECK(lstat(P("d/fifo"), &st) == 0 && S_ISFIFO(st.st_mode), "fifo");

	/* rename: over a file, a directory across directories */
	put_file("d/victim", 4, 10);
	CHECK(rename(P("d/f-link"), P("d/victim")) == 0, "rename over");
	CHECK(stat(P("d/victim"), &st) == 0 && st.st_size == 5000, "renamed");
	CHECK_ERRNO(stat(P("d/f-link"), &st), ENOENT);
	CHECK(mkdir(P("e"), 0755) == 0, "mkdir e");
	CHECK(rename(P("d/sub"), P("e/sub2")) == 0, "rename dir");
	CHECK(stat(P("e/sub2/.."), &st) == 0 && stat(P("e"), &st2) == 0 && st.st_ino == st2.st_ino,
	      "..");
	CHECK(stat(P("e"), &st) == 0 && st.st_nlink == 3, "e nlink %ld", (long)st.st_nlink);
	CHECK(stat(P("d"), &st) == 0 && st.st_nlink == 2, "d nlink %ld", (long)st.st_nlink);
	CHECK_ERRNO(rename(P("e"), P("e/sub2/x")), EINVAL);
	put_file("d/one", 5, 11);
	put_file("d/two", 6, 22);
	CHECK_ERRNO(syscall(SYS_renameat2, AT_FDCWD, P("d/one"), AT_FDCWD, P("d/two"), RENAME_NOREPLACE),
		    EEXIST);
	CHECK(syscall(SYS_renameat2, AT_FDCWD, P("d/one"), AT_FDCWD, P("d/two"), RENAME_EXCHANGE) == 0,
	      "exchange");
	CHECK(stat(P("d/one"), &st) == 0 && st.st_size == 22, "exchanged");
	CHECK(syscall(SYS_renameat2, AT_FDCWD, P("d"), AT_FDCWD, P("e"), RENAME_EXCHANGE) == 0,
	      "exchange dirs");
	CHECK(stat(P("e/one"), &st) == 0 && st.st_size == 22, "exchanged dirs");
	CHECK(syscall(SYS_renameat2, AT_FDCWD, P("d"), AT_FDCWD, P("e"), RENAME_EXCHANGE) == 0,
	      "exchange back");
	CHECK(unlink(P("d/fifo")) == 0, "unlink fifo");

	/* attributes */
	CHECK(chmod(P("d/one"), 0604) == 0, "chmod");
	CHECK(chown(P("d/one"), 1234, 5678) == 0, "chown");
	struct timespec ts[2] = { { 1000000000, 111 }, { 1234567890, 987654321 } };
	CHECK(utimensat(AT_FDCWD, P("d/one"), ts, 0) == 0, "utimensat");
	CHECK(stat(P("d/one"), &st) == 0 && (st.st_mode & 07777) == 0604 && st.st_uid == 1234 &&
	      st.st_gid == 5678 && st.st_mtim.tv_sec == 1234567890 && st.st_mtim.tv_nsec == 987654321,
	      "attributes");
}

static void check_persisted(void)
{
	struct stat st;

	check_file("a.bin", 1, 200000);
	check_file("e/sub2/f", 3, 5000);
	check_file("d/victim", 3, 5000);
	CHECK(stat(P("d/one"), &st) == 0 && (st.st_mode & 07777) == 0604 && st.st_uid == 1234 &&
	      st.st_gid == 5678 && st.st_mtim.tv_sec == 1234567890 && st.st_mtim.tv_nsec == 987654321,
	      "attributes after remount");
	CHECK(stat(P("sparse.bin"), &st) == 0 && st.st_size == 4096 * 3 + 7, "sparse size");
	CHECK(stat(P("e/sub2/.."), &st) == 0, "..");
}

static void open_unlinked(void)
{
	struct statfs a, b, c;
	unsigned char buf[65536], got[65536];
	int fd = open(P("tmpfile"), O_CREAT | O_RDWR, 0600);

	CHECK(fd >= 0, "open");
	CHECK(statfs(base, &a) == 0, "statfs");
	pattern(buf, sizeof(buf), 11);
	for (int i = 0; i < 16; i++)
		write_all(fd, buf, sizeof(buf));
	CHECK(unlink(P("tmpfile")) == 0, "unlink");
	CHECK(statfs(base, &b) == 0, "statfs");
	CHECK(pread(fd, got, sizeof(got), 5 * sizeof(buf)) == (ssize_t)sizeof(got) &&
	      !memcmp(buf, got, sizeof(got)), "read after unlink");
	close(fd);
	CHECK(statfs(base, &c) == 0, "statfs");
	if (on_disk)
		CHECK(c.f_bfree > b.f_bfree && b.f_bfree < a.f_bfree, "blocks back: %llu %llu %llu",
		      (unsigned long long)a.f_bfree, (unsigned long long)b.f_bfree,
		      (unsigned long long)c.f_bfree);
}

static void many_names(void)
{
	char name[64];
	CHECK(mkdir(P("many"), 0755) == 0, "mkdir many");
	for (int i = 0; i < NAMES; i++) {
		snprintf(name, sizeof(name), "many/n%05d", i);
		int fd = open(P(name), O_CREAT | O_EXCL | O_WRONLY, 0644);
		CHECK(fd >= 0, "create %s", name);
		close(fd);
	}
	DIR *d = opendir(P("many"));
	CHECK(d, "opendir");
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	CHECK(n == NAMES, "readdir found %d", n);
	CHECK(access(P("many/n05000"), F_OK) == 0, "lookup");
	for (int i = 0; i < NAMES; i++) {
		if (i % 100 == 7)
			continue; /* some stay, for the host's check */
		snprintf(name, sizeof(name), "many/n%05d", i);
		CHECK(unlink(P(name)) == 0, "unlink %s", name);
	}
}

#define APPENDERS 4
#define RECORDS 300
#define REC 64

static void appenders(void)
{
	int fd = open(P("appended.log"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
	CHECK(fd >= 0, "create");
	close(fd);
	fflush(NULL);
	for (int c = 0; c < APPENDERS; c++) {
		pid_t pid = fork();
		CHECK(pid >= 0, "fork");
		if (pid == 0) {
			int f = open(P("appended.log"), O_WRONLY | O_APPEND);
			char rec[REC];
			for (int i = 0; i < RECORDS; i++) {
				memset(rec, 'a' + c, sizeof(rec));
				snprintf(rec, sizeof(rec), "%d %05d ", c, i);
				rec[strlen(rec)] = 'a' + c;
				rec[REC - 1] = '\n';
				if (write(f, rec, REC) != REC)
					_exit(1);
			}
			_exit(0);
		}
	}
	for (int c = 0; c < APPENDERS; c++) {
		int st;
		CHECK(wait(&st) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "appender");
	}
	struct stat st;
	CHECK(stat(P("appended.log"), &st) == 0 && st.st_size == APPENDERS * RECORDS * REC,
	      "appended size %lld", (long long)st.st_size);
	fd = open(P("appended.log"), O_RDONLY);
	int next[APPENDERS] = { 0 };
	char rec[REC];
	for (int i = 0; i < APPENDERS * RECORDS; i++) {
		CHECK(read(fd, rec, REC) == REC, "read record");
		int c = rec[0] - '0', k = atoi(rec + 2);
		CHECK(c >= 0 && c < APPENDERS && k == next[c] && rec[REC - 1] == '\n' &&
		      rec[REC - 2] == 'a' + c, "record %d torn", i);
		next[c]++;
	}
	close(fd);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	if (f->level == 0 || (f->level == 1 && !strcmp(path + f->base, "lost+found")))
		return 0;
	return remove(path) == 0 ? 0 : -1;
}

/* The runner may run a test twice (leak check): start from an empty disk. */
static void clean_disk(void)
{
	CHECK(nftw(MNT, remove_one, 32, FTW_DEPTH | FTW_PHYS) == 0, "emptying the disk");
}

static const char *find_disk(void)
{
	return disk_find_ext4(LABEL);
}

static void remount_cycle(const char *dev)
{
	struct statfs sf;

	CHECK(mount(NULL, MNT, NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0, "remount ro");
	CHECK(statfs(MNT, &sf) == 0 && (sf.f_flags & ST_RDONLY), "ro flag");
	CHECK_ERRNO(mkdir(MNT "/x", 0755), EROFS);
	CHECK(mount(NULL, MNT, NULL, MS_REMOUNT, NULL) == 0, "remount rw");
	CHECK(statfs(MNT, &sf) == 0 && !(sf.f_flags & ST_RDONLY), "rw flag");
	CHECK(umount(MNT) == 0, "umount");
	CHECK(mount(dev, MNT, "ext4", 0, NULL) == 0, "mount again");
}

int main(void)
{
	const char *dev = find_disk();
	struct statfs sf;

	if (dev) {
		mkdir(MNT, 0755);
		CHECK(mount(dev, MNT, "ext4", 0, NULL) == 0, "mount %s read-write", dev);
		CHECK(statfs(MNT, &sf) == 0 && sf.f_type == 0xEF53 && !(sf.f_flags & ST_RDONLY),
		      "statfs");
		snprintf(base, sizeof(base), "%s", MNT);
		on_disk = true;
		clean_disk();
	} else {
		snprintf(base, sizeof(base), "/tmp/ext4w-XXXXXX");
		CHECK(mkdtemp(base), "mkdtemp");
	}
	files();
	names();
	open_unlinked();
	appenders();
	many_names();
	if (on_disk) {
		remount_cycle(dev);
		check_persisted();
	}
	report("a.bin");
	report("log");
	report("sparse.bin");
	report("sync.bin");
	report("falloc.bin");
	report("d/victim");
	report("d/one");
	report("e/sub2/f");
	report("appended.log");
	report("many/n00007");
	if (on_disk) {
		CHECK(umount(MNT) == 0, "umount");
		rmdir(MNT);
	} else {
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
		if (system(cmd) != 0)
			printf("could not remove %s\n", base);
	}
	printf("ext4w: ok (%s)\n", on_disk ? dev : base);
	return 0;
}
