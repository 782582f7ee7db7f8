/*
 * File-system semantics on a FAT32 disk (issue 9): create, write (a gap
 * reads as zeros), O_APPEND, pread/pwrite across cluster edges, truncate
 * both ways, O_EXCL, mkdir, rmdir (ENOTEMPTY, ENOTDIR), unlink (EISDIR),
 * an unlinked file readable while open, rename within and across
 * directories (a moved directory's ".." follows), over a file, with
 * RENAME_NOREPLACE and RENAME_EXCHANGE, into its own subtree (EINVAL), file/dir clashes
 * (EISDIR, ENOTDIR), a directory of 300 long names read back by readdir,
 * four processes appending to one file at once, fallocate, getcwd inside.
 *
 * Where it runs: in Ferrite the guest suites attach a FAT32 disk labelled
 * FERRITEFATT (scripts/run-tests.sh, made by scripts/mkdisk.sh -t vfat);
 * the test mounts it (mount -t vfat) and adds FAT's own rules: f_type,
 * mode 0755 and owner 0, case-insensitive names, symlink/link/mknod
 * EPERM, chown and chmod limits, 2-second mtimes, names with characters
 * FAT forbids (EINVAL), the file the host put there, mount options
 * (uid=, gid=, umask=; unknown ones EINVAL). It then lists every
 * file it leaves ("FAT-FILE size fnv1a64 path") and unmounts; the host
 * runs fsck.fat -n on the image and compares those files with mtype's.
 * Elsewhere (the Linux reference run: no such disk, no root) the same
 * semantics run in a new directory under /tmp, or in FAT_TEST_DIR or
 * argv[1] when given, without the FAT-only cases.
 */
#include "common.h"
#include "disk_label.h"
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <limits.h>
#include <time.h>

#define LABEL "FERRITEFATT"
#define MNT "/tmp/fatt"
#define MSDOS_SUPER_MAGIC 0x4d44
#define LONGNAME "A long file name with spaces and more than thirteen characters.txt"
#define UTF8NAME "\xc3\xbc" "n" "\xc3\xaf" "c" "\xc3\xb8" "d" "\xc3\xa9" " " "\xe5\x90\x8d\xe5\x89\x8d" ".txt"

static bool on_fat;

static uint64_t fnv1a64(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static unsigned char *pattern(size_t len, uint32_t seed)
{
	unsigned char *b = malloc(len ? len : 1);
	CHECK(b, "malloc");
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		b[i] = (unsigned char)(seed >> 16);
	}
	return b;
}

static const char *find_disk(void)
{
	return disk_find_fat32(LABEL);
}

static void put(const char *path, const void *data, size_t len, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
	CHECK(fd >= 0, "create %s", path);
	CHECK(write(fd, data, len) == (ssize_t)len, "write %s", path);
	CHECK(close(fd) == 0, "close %s", path);
}

/* The whole file, or NULL with errno. */
static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	CHECK(fstat(fd, &st) == 0, "fstat %s", path);
	unsigned char *b = malloc((size_t)st.st_size + 1);
	ssize_t n = read(fd, b, (size_t)st.st_size + 1);
	CHECK(n == st.st_size, "read %s: %zd of %lld", path, n, (long long)st.st_size);
	close(fd);
	*len = (size_t)n;
	return b;
}

static void expect(const char *path, const void *data, size_t len)
{
	size_t got;
	unsigned char *b = slurp(path, &got);
	CHECK(b, "open %s", path);
	CHECK(got == len, "%s: %zu bytes, want %zu", path, got, len);
	CHECK(!memcmp(b, data, len), "%s: contents differ", path);
	free(b);
}

static ino_t ino_of(const char *path)
{
	struct stat st;
	CHECK(stat(path, &st) == 0, "stat %s", path);
	return st.st_ino;
}

static void semantics(void)
{
	unsigned char *data = pattern(200000, 1);
	char buf[4096];

	CHECK(mkdir("keep", 0755) == 0, "mkdir keep");
	CHECK(mkdir("work", 0755) == 0, "mkdir work");
	/* create, write, read back; O_EXCL */
	put("keep/" LONGNAME, data, 70000, O_EXCL);
	expect("keep/" LONGNAME, data, 70000);
	CHECK_ERRNO(open("keep/" LONGNAME, O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	put("keep/" UTF8NAME, "utf-8\n", 6, 0);
	expect("keep/" UTF8NAME, "utf-8\n", 6);

	/* a write past the end leaves zeros */
	int fd = open("keep/gap.bin", O_RDWR | O_CREAT, 0644);
	CHECK(fd >= 0, "gap.bin");
	CHECK(pwrite(fd, "head", 4, 0) == 4, "pwrite head");
	CHECK(pwrite(fd, "tail", 4, 100000) == 4, "pwrite tail");
	struct stat st;
	CHECK(fstat(fd, &st) == 0 && st.st_size == 100004, "gap size %lld", (long long)st.st_size);
	CHECK(pread(fd, buf, 8, 50000) == 8 && !memcmp(buf, "\0\0\0\0\0\0\0\0", 8), "gap zeros");
	/* across a cluster edge (512..4096-byte clusters) */
	CHECK(pwrite(fd, data, 3000, 4090) == 3000, "pwrite across");
	CHECK(pread(fd, buf, 3000, 4090) == 3000 && !memcmp(buf, data, 3000), "pread across");
	CHECK(close(fd) == 0, "close");

	/* O_APPEND */
	for (int i = 0; i < 20; i++) {
		fd = open("keep/appended.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
		CHECK(fd >= 0, "append open");
		CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
		int n = snprintf(buf, sizeof(buf), "line %02d\n", i);
		CHECK(write(fd, buf, (size_t)n) == n, "append");
		close(fd);
	}
	CHECK(stat("keep/appended.log", &st) == 0 && st.st_size == 160, "appended size %lld",
	      (long long)st.st_size);

	/* fallocate: mode 0 grows with zeros, KEEP_SIZE keeps the size */
	fd = open("keep/fallocated", O_RDWR | O_CREAT, 0644);
	CHECK(fd >= 0, "open fallocated");
	CHECK(fallocate(fd, 0, 0, 10000) == 0, "fallocate");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 10000, "fallocate size %lld", (long long)st.st_size);
	CHECK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 100000) == 0, "fallocate KEEP_SIZE");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 10000, "KEEP_SIZE size %lld", (long long)st.st_size);
	CHECK(pread(fd, buf, 100, 9900) == 100 && !memcmp(buf, (char[100]){ 0 }, 100), "fallocated zeros");
	CHECK(close(fd) == 0, "close fallocated");

	/* 4 processes appending at once: every record whole, none lost */
	for (int c = 0; c < 4; c++) {
		pid_t pid = fork();
		CHECK(pid >= 0, "fork");
		if (pid == 0) {
			int afd = open("keep/four-appenders", O_WRONLY | O_CREAT | O_APPEND, 0644);
			if (afd < 0)
				_exit(2);
			for (int i = 0; i < 100; i++) {
				char rec[32];
				snprintf(rec, sizeof(rec), "writer %d rec %04d\n", c, i); /* 18 bytes */
				if (write(afd, rec, 18) != 18)
					_exit(3);
			}
			_exit(0);
		}
	}
	for (int c = 0; c < 4; c++) {
		int status;
		CHECK(wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "appender");
	}
	size_t alen;
	unsigned char *all = slurp("keep/four-appenders", &alen);
	CHECK(all && alen == 4 * 100 * 18, "four appenders: %zu bytes", alen);
	int seen[4] = { 0 };
	for (size_t off = 0; off < alen; off += 18) {
		int w, r;
		CHECK(sscanf((char *)all + off, "writer %d rec %d\n", &w, &r) == 2 && w >= 0 && w < 4 &&
		      r == seen[w] && all[off + 17] == '\n', "record at %zu", off);
		seen[w]++;
	}
	free(all);

	/* truncate down and up */
	put("keep/truncated", data, 150000, 0);
	CHECK(truncate("keep/truncated", 5000) == 0, "truncate down");
	CHECK(truncate("keep/truncated", 9000) == 0, "truncate up");
	unsigned char *t = calloc(1, 9000);
	memcpy(t, data, 5000);
	expect("keep/truncated", t, 9000);
	free(t);
	fd = open("keep/truncated", O_RDWR | O_TRUNC);
	CHECK(fd >= 0, "O_TRUNC");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 0, "O_TRUNC size");
	CHECK(write(fd, "again\n", 6) == 6, "write after O_TRUNC");
	CHECK(ftruncate(fd, 3) == 0, "ftruncate");
	close(fd);
	expect("keep/truncated", "aga", 3);

	/* directories */
	CHECK(mkdir("work/a", 0755) == 0 && mkdir("work/a/b", 0755) == 0 && mkdir("work/c", 0755) == 0,
	      "mkdirs");
	CHECK_ERRNO(mkdir("work/a", 0755), EEXIST);
	put("work/a/b/file", "in b\n", 5, 0);
	CHECK_ERRNO(rmdir("work/a"), ENOTEMPTY);
	CHECK_ERRNO(rmdir("work/a/b/file"), ENOTDIR);
	CHECK_ERRNO(unlink("work/a"), EISDIR);
	CHECK_ERRNO(open("work/nonexistent/x", O_CREAT | O_WRONLY, 0644), ENOENT);
	CHECK(stat("work/a", &st) == 0 && S_ISDIR(st.st_mode), "stat dir");
	CHECK(st.st_nlink == 3, "work/a nlink %lu", (unsigned long)st.st_nlink);

	/* renames */
	CHECK(rename("work/a/b/file", "work/c/file-moved") == 0, "rename across");
	expect("work/c/file-moved", "in b\n", 5);
	CHECK_ERRNO(stat("work/a/b/file", &st), ENOENT);
	CHECK(rename("work/a/b", "work/c/b-moved") == 0, "rename dir across");
	CHECK(ino_of("work/c/b-moved/..") == ino_of("work/c"), "moved dir's ..");
	CHECK(stat("work/a", &st) == 0 && st.st_nlink == 2, "work/a nlink after %lu",
	      (unsigned long)st.st_nlink);
	CHECK_ERRNO(rename("work/c", "work/c/b-moved/inside"), EINVAL);
	put("work/victim", "victim\n", 7, 0);
	put("work/winner", "winner\n", 7, 0);
	CHECK_ERRNO(renameat2(AT_FDCWD, "work/winner", AT_FDCWD, "work/victim", RENAME_NOREPLACE), EEXIST);
	CHECK(rename("work/winner", "work/victim") == 0, "rename over a file");
	expect("work/victim", "winner\n", 7);
	CHECK_ERRNO(rename("work/victim", "work/a"), EISDIR);
	CHECK_ERRNO(rename("work/a", "work/victim"), ENOTDIR);
	CHECK(rename("work/a", "work/c/b-moved") == 0, "rename dir over an empty dir");
	CHECK(rmdir("work/c/b-moved") == 0, "rmdir");
	CHECK(rename("work/c", "keep/moved") == 0, "rename into keep");
	expect("keep/moved/file-moved", "in b\n", 5);
	/* RENAME_EXCHANGE across directories */
	put("work/ex1", "one\n", 4, 0);
	CHECK(renameat2(AT_FDCWD, "work/ex1", AT_FDCWD, "keep/moved/file-moved", RENAME_EXCHANGE) == 0,
	      "RENAME_EXCHANGE");
	expect("keep/moved/file-moved", "one\n", 4);
	expect("work/ex1", "in b\n", 5);
	CHECK_ERRNO(renameat2(AT_FDCWD, "work/ex1", AT_FDCWD, "work/none", RENAME_EXCHANGE), ENOENT);
	CHECK(unlink("work/ex1") == 0, "unlink ex1");

	/* an unlinked file stays readable while open */
	put("work/ghost", data, 20000, 0);
	fd = open("work/ghost", O_RDONLY);
	CHECK(fd >= 0, "open ghost");
	CHECK(unlink("work/ghost") == 0, "unlink ghost");
	CHECK_ERRNO(open("work/ghost", O_RDONLY), ENOENT);
	CHECK(pread(fd, buf, 100, 19900) == 100 && !memcmp(buf, data + 19900, 100), "read ghost");
	close(fd);

	/* a directory of 300 long names */
	CHECK(mkdir("keep/many", 0755) == 0, "mkdir many");
	for (int i = 0; i < 300; i++) {
		char p[128];
		snprintf(p, sizeof(p), "keep/many/entry number %03d with a long name", i);
		put(p, p, strlen(p), 0);
	}
	for (int i = 0; i < 300; i += 3) {
		char p[128];
		snprintf(p, sizeof(p), "keep/many/entry number %03d with a long name", i);
		CHECK(unlink(p) == 0, "unlink %s", p);
	}
	DIR *d = opendir("keep/many");
	CHECK(d, "opendir many");
	struct dirent *de;
	unsigned n = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	CHECK(n == 200, "many: %u entries", n);
	CHECK(rmdir("work") == -1 && errno == ENOTEMPTY, "work not empty");
	CHECK(unlink("work/victim") == 0 && rmdir("work") == 0, "clean work");
	free(data);
}

static void fat_rules(void)
{
	struct statfs sf;
	struct stat st;
	char buf[64];

	CHECK(statfs(".", &sf) == 0 && sf.f_type == MSDOS_SUPER_MAGIC, "f_type 0x%lx", (long)sf.f_type);
	CHECK(sf.f_namelen == 255, "namelen %ld", (long)sf.f_namelen);
	uint64_t before = sf.f_bfree;
	unsigned char *big = pattern(1 << 20, 5);
	put("keep/one-mebibyte", big, 1 << 20, 0);
	CHECK(statfs(".", &sf) == 0 && sf.f_bfree < before &&
	      (before - sf.f_bfree) * sf.f_bsize >= (1 << 20), "bfree %llu -> %llu",
	      (unsigned long long)before, (unsigned long long)sf.f_bfree);
	free(big);

	/* what mkdisk.sh put there */
	expect("preexisting/hello from the host.txt", "made by run-tests.sh\n", 21);
	/* names: case-insensitive, forbidden characters */
	expect("PREEXISTING/HELLO FROM THE HOST.TXT", "made by run-tests.sh\n", 21);
	CHECK_ERRNO(open("keep/a:b", O_CREAT | O_WRONLY, 0644), EINVAL);
	CHECK_ERRNO(open("keep/a*b", O_CREAT | O_WRONLY, 0644), EINVAL);
	/* modes and owners as Linux's vfat shows them by default */
	CHECK(stat("keep/appended.log", &st) == 0, "stat");
	CHECK(st.st_mode == (S_IFREG | 0755) && st.st_uid == 0 && st.st_gid == 0 && st.st_nlink == 1,
	      "mode 0%o uid %u", st.st_mode, st.st_uid);
	CHECK(stat("keep", &st) == 0 && st.st_mode == (S_IFDIR | 0755), "dir mode 0%o", st.st_mode);
	/* what FAT cannot store */
	CHECK_ERRNO(symlink("appended.log", "keep/symlink"), EPERM);
	CHECK_ERRNO(link("keep/appended.log", "keep/hardlink"), EPERM);
	CHECK_ERRNO(mknod("keep/fifo", S_IFIFO | 0644, 0), EPERM);
	CHECK_ERRNO(chown("keep/appended.log", 1000, 1000), EPERM);
	CHECK(chown("keep/appended.log", 0, 0) == 0, "chown to 0");
	CHECK_ERRNO(chmod("keep/appended.log", 0644), EPERM);
	CHECK(chmod("keep/appended.log", 0555) == 0, "chmod read-only");
	CHECK(stat("keep/appended.log", &st) == 0 && st.st_mode == (S_IFREG | 0555), "ro mode 0%o",
	      st.st_mode);
	CHECK(chmod("keep/appended.log", 0755) == 0, "chmod writable");
	CHECK_ERRNO(chmod("keep", 0555), EPERM);
	/* 2-second mtimes, the access date */
	struct timespec ts[2] = { { 1700000000, 0 }, { 1700000001, 500000000 } };
	CHECK(utimensat(AT_FDCWD, "keep/appended.log", ts, 0) == 0, "utimensat");
	CHECK(stat("keep/appended.log", &st) == 0, "stat");
	CHECK(st.st_mtim.tv_sec == 1700000000 && st.st_mtim.tv_nsec == 0, "mtime %lld.%09ld",
	      (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	CHECK(st.st_atim.tv_sec == 1700000000 - 1700000000 % 86400, "atime %lld",
	      (long long)st.st_atim.tv_sec);
	/* a file's mtime follows a write, at 2-second resolution */
	time_t now = time(NULL);
	put("keep/appended.log", "x", 1, O_APPEND);
	CHECK(stat("keep/appended.log", &st) == 0 && st.st_mtim.tv_sec % 2 == 0 &&
	      st.st_mtim.tv_sec >= now - 2 && st.st_mtim.tv_sec <= now + 2, "mtime after write %lld",
	      (long long)st.st_mtim.tv_sec);
	/* a case-only rename */
	put("keep/lower.txt", "case\n", 5, 0);
	CHECK(rename("keep/lower.txt", "keep/LOWER.txt") == 0, "case rename");
	DIR *d = opendir("keep");
	struct dirent *de;
	bool seen = false;
	while ((de = readdir(d)))
		if (!strcmp(de->d_name, "LOWER.txt"))
			seen = true;
	closedir(d);
	CHECK(seen, "LOWER.txt listed");
	snprintf(buf, sizeof(buf), "keep/lower.TXT");
	expect(buf, "case\n", 5);
}

/* Print every file under path (recursively) for the host's check. */
static void report(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	CHECK(d, "opendir %s", path);
	while ((de = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		CHECK(stat(p, &st) == 0, "stat %s", p);
		if (S_ISDIR(st.st_mode)) {
			report(p);
			continue;
		}
		size_t len;
		unsigned char *b = slurp(p, &len);
		CHECK(b, "open %s", p);
		printf("FAT-FILE %zu %016llx %s\n", len, (unsigned long long)fnv1a64(b, len), p);
		free(b);
	}
	closedir(d);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("FAT_TEST_DIR");
	char tmpl[] = "/tmp/fat-semantics-XXXXXX";
	const char *dev = NULL;
	struct statfs sf;
	struct stat st;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!dir && (dev = find_disk())) {
		mkdir(MNT, 0755);
		CHECK_ERRNO(mount(dev, MNT, "nosuchfs", 0, NULL), ENODEV);
		CHECK(mount(dev, MNT, "vfat", 0, NULL) == 0, "mount -t vfat %s", dev);
		CHECK_ERRNO(mount(dev, MNT, "vfat", 0, NULL), EBUSY);
		dir = MNT;
	} else if (!dir) {
		dir = mkdtemp(tmpl);
		CHECK(dir, "mkdtemp");
		printf("no FAT32 disk labelled " LABEL ": the semantics in %s\n", dir);
	}
	CHECK(statfs(dir, &sf) == 0, "statfs %s", dir);
	on_fat = sf.f_type == MSDOS_SUPER_MAGIC;
	CHECK(chdir(dir) == 0, "chdir %s", dir);
	/* a second run (the runner repeats a test that seemed to leak) */
	nftw("keep", rm_one, 16, FTW_DEPTH | FTW_PHYS);
	nftw("work", rm_one, 16, FTW_DEPTH | FTW_PHYS);
	semantics();
	/* getcwd inside (on FAT: names found by inode number through "..") */
	char cwd[PATH_MAX];
	CHECK(chdir("keep/moved") == 0 && getcwd(cwd, sizeof(cwd)), "getcwd");
	CHECK(strlen(cwd) > 11 && !strcmp(cwd + strlen(cwd) - 11, "/keep/moved") &&
	      !strncmp(cwd, dir, strlen(dir)), "getcwd %s", cwd);
	CHECK(chdir("../..") == 0, "chdir ../..");
	if (on_fat)
		fat_rules();
	if (dev) {
		report(".");
		CHECK(chdir("/") == 0, "chdir /");
		CHECK(umount(MNT) == 0, "umount");
		CHECK_ERRNO(mount(dev, MNT, "vfat", MS_RDONLY, "uid=1000,bogus"), EINVAL);
		CHECK(mount(dev, MNT, "vfat", MS_RDONLY, "uid=1000,gid=100,umask=027") == 0, "mount read-only");
		CHECK(access(MNT "/keep/appended.log", F_OK) == 0, "after remount");
		CHECK(stat(MNT "/keep/appended.log", &st) == 0 && st.st_mode == (S_IFREG | 0750) &&
		      st.st_uid == 1000 && st.st_gid == 100, "options: mode 0%o uid %u gid %u", st.st_mode,
		      st.st_uid, st.st_gid);
		CHECK_ERRNO(open(MNT "/keep/x", O_CREAT | O_WRONLY, 0644), EROFS);
		CHECK_ERRNO(unlink(MNT "/keep/appended.log"), EROFS);
		/* read-write again, and back */
		CHECK(mount(NULL, MNT, NULL, MS_REMOUNT, NULL) == 0, "remount read-write");
		put(MNT "/keep/after-remount", "rw again\n", 9, 0);
		printf("FAT-FILE 9 %016llx ./keep/after-remount\n",
		       (unsigned long long)fnv1a64((const unsigned char *)"rw again\n", 9));
		CHECK(mount(NULL, MNT, NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0, "remount read-only");
		CHECK(statfs(MNT, &sf) == 0 && (sf.f_flags & ST_RDONLY), "ST_RDONLY");
		CHECK_ERRNO(open(MNT "/keep/y", O_CREAT | O_WRONLY, 0644), EROFS);
		CHECK(umount(MNT) == 0, "umount read-only");
		rmdir(MNT);
	} else if (dir == tmpl) {
		CHECK(chdir("/") == 0, "chdir /");
		nftw(tmpl, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	}
	printf("fat: %s semantics passed%s\n", on_fat ? "FAT32" : "portable", on_fat ? " with FAT's rules" : "");
	return 0;
}
