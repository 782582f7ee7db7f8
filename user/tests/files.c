/*
 * File syscalls in /tmp: mkdir, open/creat/O_EXCL, write, lseek, read,
 * fstat, getdents64, unlink, rmdir and their common errors.
 */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Return the mask of names[] seen in the directory fd. */
static unsigned list_dir(int fd, const char *const names[], int n)
{
	char buf[1024];
	unsigned seen = 0;
	long len;

	while ((len = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < len;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			CHECK(d->d_reclen > 0 && off + d->d_reclen <= len, "bad d_reclen %u", d->d_reclen);
			for (int i = 0; i < n; i++)
				if (!strcmp(d->d_name, names[i]))
					seen |= 1u << i;
			off += d->d_reclen;
		}
	}
	CHECK(len == 0, "getdents64");
	return seen;
}

int main(void)
{
	char dir[64], file[96], sub[96];
	char buf[256];
	struct stat st;
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/files.%d", (int)getpid());
	snprintf(file, sizeof(file), "%s/data.txt", dir);
	snprintf(sub, sizeof(sub), "%s/sub", dir);

	CHECK(mkdir(dir, 0755) == 0, "mkdir %s", dir);
	CHECK_ERRNO(mkdir(dir, 0755), EEXIST);
	CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode), "stat dir");
	CHECK(mkdir(sub, 0700) == 0, "mkdir %s", sub);

	CHECK_ERRNO(open(file, O_RDONLY), ENOENT);
	fd = open(file, O_RDWR | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0, "create %s", file);
	CHECK_ERRNO(open(file, O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);

	static const char text[] = "hello, ferrite\n";
	CHECK(write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1, "write");
	CHECK(fstat(fd, &st) == 0, "fstat");
	CHECK(S_ISREG(st.st_mode) && st.st_size == (off_t)sizeof(text) - 1,
	      "fstat mode %o size %ld", st.st_mode, (long)st.st_size);

	CHECK(lseek(fd, 7, SEEK_SET) == 7, "lseek SEEK_SET");
	memset(buf, 0, sizeof(buf));
	CHECK(read(fd, buf, 7) == 7 && !memcmp(buf, "ferrite", 7), "read at 7: '%s'", buf);
	CHECK(lseek(fd, 0, SEEK_CUR) == 14, "lseek SEEK_CUR");
	CHECK(lseek(fd, -1, SEEK_END) == 14, "lseek SEEK_END");
	CHECK(read(fd, buf, sizeof(buf)) == 1 && buf[0] == '\n', "read the last byte");
	CHECK(read(fd, buf, sizeof(buf)) == 0, "read at EOF");
	CHECK_ERRNO(lseek(fd, -100, SEEK_SET), EINVAL);

	/* A write past the end leaves a zero-filled gap. */
	CHECK(lseek(fd, 100, SEEK_SET) == 100, "lseek past the end");
	CHECK(write(fd, "Z", 1) == 1, "write past the end");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 101, "size after a gap: %ld", (long)st.st_size);
	CHECK(pread(fd, buf, 3, 50) == 3 && !buf[0] && !buf[1] && !buf[2], "gap not zero");
	CHECK(close(fd) == 0, "close");
	CHECK_ERRNO(close(fd), EBADF);
	CHECK_ERRNO(read(fd, buf, 1), EBADF);

	/* O_TRUNC and O_APPEND. */
	fd = open(file, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0, "open O_TRUNC");
	CHECK(fstat(fd, &st) == 0 && st.st_size == 0, "size after O_TRUNC %ld", (long)st.st_size);
	CHECK(write(fd, "ab", 2) == 2, "write");
	close(fd);
	fd = open(file, O_WRONLY | O_APPEND);
	CHECK(fd >= 0, "open O_APPEND");
	CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
	CHECK(write(fd, "cd", 2) == 2, "append");
	close(fd);
	fd = open(file, O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 4 && !memcmp(buf, "abcd", 4), "content after append");
	CHECK_ERRNO(write(fd, "x", 1), EBADF);
	close(fd);

	/* getdents64 sees both entries (and . and ..). */
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0, "open dir");
	static const char *const names[] = { ".", "..", "data.txt", "sub" };
	unsigned seen = list_dir(fd, names, 4);
	CHECK(seen == 0xf, "getdents64 saw mask %#x of . .. data.txt sub", seen);
	close(fd);
	CHECK_ERRNO(open(file, O_RDONLY | O_DIRECTORY), ENOTDIR);

	/* Removal. */
	CHECK_ERRNO(rmdir(dir), ENOTEMPTY);
	CHECK_ERRNO(unlink(sub), EISDIR);
	CHECK(unlink(file) == 0, "unlink");
	CHECK_ERRNO(unlink(file), ENOENT);
	CHECK_ERRNO(open(file, O_RDONLY), ENOENT);
	CHECK(rmdir(sub) == 0, "rmdir sub");
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0, "open dir");
	seen = list_dir(fd, names, 4);
	CHECK(seen == 0x3, "empty dir listing mask %#x", seen);
	close(fd);
	CHECK(rmdir(dir) == 0, "rmdir");
	CHECK_ERRNO(stat(dir, &st), ENOENT);
	return 0;
}
