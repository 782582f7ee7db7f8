/*
 * ext4, read-only, mounted from a virtio disk: mount(2) (a read-write
 * request is refused with EROFS or EACCES, a second mount of the device
 * with EBUSY), statfs, every entry of the image made by
 * scripts/ext4-test-image.py checked against its MANIFEST (type, size,
 * FNV-1a of the contents, mode, owner, mtime, link count, symlink
 * target, directory entry counts), known contents, "..", getcwd and
 * symlinks across the mount, mmap of a file, every write refused with
 * EROFS, umount refused while busy (EBUSY) and then done.
 *
 * The disk is found by its label "ferrite-ext4t" (read-only probe of
 * /dev/vd[a-d]); without one (the Linux reference run, or a run without
 * the disk) the test skips, so it never mounts the host's own disks.
 */
#include "common.h"
#include "disk_label.h"
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/statfs.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <limits.h>

#define MNT "/tmp/ext4t"
#define LABEL "ferrite-ext4t"

static uint64_t fnv1a64_update(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static const char *find_disk(void)
{
	return disk_find_ext4(LABEL);
}

static unsigned count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	unsigned n = 0;
	bool dot = false, dotdot = false;

	CHECK(d, "opendir %s", path);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, "."))
			dot = true;
		else if (!strcmp(de->d_name, ".."))
			dotdot = true;
		else
			n++;
	}
	closedir(d);
	CHECK(dot && dotdot, "%s: no . or ..", path);
	return n;
}

static void check_entry(char *line)
{
	char kind, rel[512], target[512], path[700];
	unsigned long long size, hash;
	unsigned mode, uid, gid, nlink;
	long long mtime;
	struct stat st;

	CHECK(sscanf(line, "%c %511s %llu %llx %o %u %u %lld %u %511s", &kind, rel, &size, &hash, &mode,
		     &uid, &gid, &mtime, &nlink, target) == 10, "manifest line: %s", line);
	snprintf(path, sizeof(path), MNT "/%s", rel);
	CHECK(lstat(path, &st) == 0, "lstat %s", path);
	CHECK(st.st_mode == mode, "%s: mode 0%o, want 0%o", rel, st.st_mode, mode);
	CHECK(st.st_uid == uid && st.st_gid == gid, "%s: owner %u:%u, want %u:%u", rel, st.st_uid,
	      st.st_gid, uid, gid);
	CHECK(st.st_mtime == mtime, "%s: mtime %lld, want %lld", rel, (long long)st.st_mtime, mtime);
	CHECK(st.st_nlink == nlink, "%s: nlink %u, want %u", rel, (unsigned)st.st_nlink, nlink);
	if (kind == 'f') {
		CHECK((unsigned long long)st.st_size == size, "%s: size %lld, want %llu", rel,
		      (long long)st.st_size, size);
		int fd = open(path, O_RDONLY);
		CHECK(fd >= 0, "open %s", path);
		static unsigned char buf[65536];
		uint64_t h = 0xcbf29ce484222325ull, total = 0;
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			h = fnv1a64_update(h, buf, (size_t)n);
			total += (uint64_t)n;
		}
		CHECK(n == 0, "read %s", path);
		close(fd);
		CHECK(total == size && h == hash, "%s: %llu bytes hash %016llx, want %llu %016llx", rel,
		      (unsigned long long)total, (unsigned long long)h, size, hash);
	} else if (kind == 'l') {
		char t[512];
		ssize_t n = readlink(path, t, sizeof(t) - 1);
		CHECK(n >= 0, "readlink %s", path);
		t[n] = 0;
		CHECK(!strcmp(t, target), "%s -> %s, want %s", rel, t, target);
		CHECK((unsigned long long)st.st_size == size, "%s: size %lld", rel, (long long)st.st_size);
	} else if (kind == 'd') {
		CHECK(count_dir(path) == size, "%s: %u entries, want %llu", rel, count_dir(path), size);
	} else {
		CHECK(S_ISFIFO(st.st_mode), "%s: not a fifo", rel);
	}
}

static void check_manifest(void)
{
	FILE *f = fopen(MNT "/MANIFEST", "r");
	char line[1400];
	unsigned n = 0;

	CHECK(f, "fopen MANIFEST");
	while (fgets(line, sizeof(line), f)) {
		check_entry(line);
		n++;
	}
	fclose(f);
	CHECK(n > 300, "manifest: %u entries", n);
}

static void check_known(void)
{
	char buf[256], cwd[PATH_MAX];
	struct stat a, b;

	int fd = open(MNT "/sym_fast", O_RDONLY); /* through the symlink */
	CHECK(fd >= 0, "open sym_fast");
	CHECK(read(fd, buf, sizeof(buf)) == 20 && !memcmp(buf, "hello from the host\n", 20),
	      "hello.txt contents");
	/* pread at an offset, lseek to the end */
	CHECK(pread(fd, buf, 4, 6) == 4 && !memcmp(buf, "from", 4), "pread");
	CHECK(lseek(fd, 0, SEEK_END) == 20, "SEEK_END");
	close(fd);
	fd = open(MNT "/sym_dir/deep.txt", O_RDONLY);
	CHECK(fd >= 0, "open sym_dir/deep.txt");
	CHECK(read(fd, buf, sizeof(buf)) == 10 && !memcmp(buf, "deep down\n", 10), "deep.txt");
	close(fd);
	/* sparse.bin: a hole reads as zeros, data where it was written */
	fd = open(MNT "/sparse.bin", O_RDONLY);
	CHECK(fd >= 0, "open sparse.bin");
	CHECK(pread(fd, buf, 8, 5000) == 8 && !memcmp(buf, "\0\0\0\0\0\0\0\0", 8), "hole");
	CHECK(pread(fd, buf, 1, 3 * 128 * 1024) == 1 && buf[0] == 22, "data after a hole");
	close(fd);
	/* mmap of a file on the disk */
	fd = open(MNT "/big.bin", O_RDONLY);
	CHECK(fd >= 0, "open big.bin");
	unsigned char *m = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 4096);
	CHECK(m != MAP_FAILED, "mmap big.bin");
	CHECK(pread(fd, buf, sizeof(buf), 4096 + 100) == sizeof(buf) && !memcmp(buf, m + 100, sizeof(buf)),
	      "mmap contents");
	munmap(m, 8192);
	close(fd);
	/* ".." of the mount's root is the covered directory's parent */
	CHECK(stat(MNT "/..", &a) == 0 && stat("/tmp", &b) == 0, "stat ..");
	CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "mount root's .. is /tmp");
	CHECK(stat(MNT, &a) == 0 && a.st_ino == 2, "the root is inode 2");
	CHECK(stat(MNT "/dir/sub/../..", &b) == 0 && b.st_ino == 2 && b.st_dev == a.st_dev, "dir/sub/../..");
	/* getcwd inside the mount */
	CHECK(chdir(MNT "/dir/sub") == 0, "chdir");
	CHECK(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, MNT "/dir/sub"), "getcwd: %s", cwd);
	CHECK_ERRNO(umount(MNT), EBUSY); /* our cwd is inside */
	CHECK(chdir("/") == 0, "chdir /");
	CHECK_ERRNO(open(MNT "/no-such-file", O_RDONLY), ENOENT);
	CHECK_ERRNO(open(MNT "/hello.txt/x", O_RDONLY), ENOTDIR);
}

static void check_readonly(void)
{
	CHECK_ERRNO(open(MNT "/hello.txt", O_WRONLY), EROFS);
	CHECK_ERRNO(open(MNT "/hello.txt", O_RDWR), EROFS);
	CHECK_ERRNO(open(MNT "/hello.txt", O_RDONLY | O_TRUNC), EROFS);
	CHECK_ERRNO(open(MNT "/newfile", O_CREAT | O_WRONLY, 0644), EROFS);
	CHECK_ERRNO(mkdir(MNT "/newdir", 0755), EROFS);
	CHECK_ERRNO(unlink(MNT "/hello.txt"), EROFS);
	CHECK_ERRNO(rmdir(MNT "/dir/sub"), EROFS);
	CHECK_ERRNO(rename(MNT "/hello.txt", MNT "/x"), EROFS);
	CHECK_ERRNO(symlink("x", MNT "/newlink"), EROFS);
	CHECK_ERRNO(link(MNT "/hello.txt", MNT "/newhard"), EROFS);
	CHECK_ERRNO(chmod(MNT "/hello.txt", 0600), EROFS);
	CHECK_ERRNO(chown(MNT "/hello.txt", 1, 1), EROFS);
	CHECK_ERRNO(truncate(MNT "/hello.txt", 0), EROFS);
	CHECK_ERRNO(utimensat(AT_FDCWD, MNT "/hello.txt", NULL, 0), EROFS);
}

int main(void)
{
	const char *dev = find_disk();
	struct statfs sf;

	if (!dev) {
		printf("no disk labelled " LABEL ": skipped\n");
		return 77;
	}
	mkdir(MNT, 0755);
	errno = 0;
	int r = mount(dev, MNT, "ext4", 0, NULL);
	if (r == -1 && errno == EPERM) {
		printf("mount not permitted: skipped\n");
		return 77;
	}
	CHECK(r == -1 && (errno == EROFS || errno == EACCES), "read-write mount: %d", r);
	CHECK(mount(dev, MNT, "ext4", MS_RDONLY, NULL) == 0, "mount %s", dev);
	CHECK_ERRNO(mount(dev, MNT, "ext4", MS_RDONLY, NULL), EBUSY);
	CHECK_ERRNO(mount(dev, MNT, "nosuchfs", MS_RDONLY, NULL), ENODEV);
	CHECK_ERRNO(mount("/dev/null", "/tmp", "ext4", MS_RDONLY, NULL), ENOTBLK);
	CHECK(mount(NULL, MNT, NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0, "remount read-only");
	errno = 0;
	r = mount(NULL, MNT, NULL, MS_REMOUNT, NULL);
	CHECK(r == -1 && (errno == EROFS || errno == EACCES), "remount read-write: %d", r);
	CHECK_ERRNO(mount(NULL, "/tmp", NULL, MS_REMOUNT | MS_RDONLY, NULL), EINVAL);

	CHECK(statfs(MNT, &sf) == 0, "statfs");
	CHECK(sf.f_type == 0xEF53, "f_type 0x%lx", (long)sf.f_type);
	CHECK(sf.f_bsize == 1024 && sf.f_blocks > 0 && sf.f_bfree < sf.f_blocks && sf.f_files > sf.f_ffree,
	      "statfs sizes");
	CHECK(sf.f_flags & ST_RDONLY, "f_flags 0x%lx", (long)sf.f_flags);
	CHECK(sf.f_namelen == 255, "f_namelen");

	check_manifest();
	check_known();
	check_readonly();

	int fd = open(MNT "/hello.txt", O_RDONLY);
	CHECK(fd >= 0, "open");
	CHECK_ERRNO(umount(MNT), EBUSY); /* an open file */
	close(fd);
	CHECK_ERRNO(umount2(MNT, 0x100), EINVAL);
	CHECK_ERRNO(umount("/tmp"), EINVAL); /* not a mount point */
	CHECK(umount(MNT) == 0, "umount");
	CHECK_ERRNO(access(MNT "/hello.txt", F_OK), ENOENT);
	/* and again: the device is free */
	CHECK(mount(dev, MNT, "ext4", MS_RDONLY, NULL) == 0, "mount again");
	CHECK(access(MNT "/dir/sub/deep.txt", R_OK) == 0, "after remount");
	CHECK(umount2(MNT, 0) == 0, "umount2");
	rmdir(MNT);
	printf("ext4: %s checked\n", dev);
	return 0;
}
