/*
 * openat2(2): struct open_how's size rules (E2BIG/EINVAL), the checks
 * where openat2 is strict and openat lax (unknown flags, a mode without
 * O_CREAT, O_PATH with other flags, O_DIRECTORY|O_CREAT), and the resolve
 * flags: RESOLVE_NO_SYMLINKS, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_XDEV,
 * RESOLVE_BENEATH, RESOLVE_IN_ROOT (through symlinks and ".."), and
 * RESOLVE_CACHED (EAGAIN for what would create). qemu-user (the riscv64
 * reference run) may not have openat2: ENOSYS there skips.
 */
#include "common.h"
#include <fcntl.h>
#include <linux/openat2.h> /* RESOLVE_* */
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

struct open_how_ {
	uint64_t flags, mode, resolve;
	uint64_t tail[2]; /* beyond VER0: must be zero */
};

static long openat2_(int dirfd, const char *path, uint64_t flags, uint64_t mode,
		     uint64_t resolve)
{
	struct open_how_ how = { flags, mode, resolve, { 0, 0 } };
	return syscall(SYS_openat2, dirfd, path, &how, 24);
}

static char dir[64];

/* The inode number path names (from dirfd), to see what was opened. */
static ino_t ino_at(int dirfd, const char *path)
{
	struct stat st;
	CHECK(fstatat(dirfd, path, &st, 0) == 0, "stat %s", path);
	return st.st_ino;
}

static void expect_open(int dirfd, const char *path, uint64_t flags, uint64_t resolve,
			const char *same_as)
{
	struct stat st;
	long fd = openat2_(dirfd, path, flags, 0, resolve);

	CHECK(fd >= 0, "openat2(%s, resolve %#llx)", path, (unsigned long long)resolve);
	CHECK(fstat((int)fd, &st) == 0, "fstat");
	CHECK(st.st_ino == ino_at(dirfd, same_as), "openat2(%s) opened not %s", path, same_as);
	close((int)fd);
}

static void test_how(int dfd)
{
	struct open_how_ how = { O_RDONLY, 0, 0, { 0, 0 } };

	CHECK_ERRNO(syscall(SYS_openat2, dfd, "f", &how, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_openat2, dfd, "f", &how, 23), EINVAL);
	CHECK_ERRNO(syscall(SYS_openat2, dfd, "f", &how, (size_t)getpagesize() + 1), E2BIG);
	long fd = syscall(SYS_openat2, dfd, "f", &how, sizeof(how)); /* zero tail */
	CHECK(fd >= 0, "larger open_how, zero tail");
	close((int)fd);
	how.tail[1] = 1;
	CHECK_ERRNO(syscall(SYS_openat2, dfd, "f", &how, sizeof(how)), E2BIG);
	CHECK_ERRNO(syscall(SYS_openat2, dfd, "f", launder_ptr(1), 24), EFAULT);

	CHECK_ERRNO(openat2_(dfd, "f", 1ULL << 32, 0, 0), EINVAL);
	CHECK_ERRNO(openat2_(dfd, "f", O_RDONLY, 0, 0x40), EINVAL);
	CHECK_ERRNO(openat2_(dfd, "f", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL);
	/* openat ignores a mode without O_CREAT; openat2 does not. */
	fd = openat(dfd, "f", O_RDONLY, 0644);
	CHECK(fd >= 0, "openat with a stray mode");
	close((int)fd);
	CHECK_ERRNO(openat2_(dfd, "f", O_RDONLY, 0644, 0), EINVAL);
	CHECK_ERRNO(openat2_(dfd, "new", O_CREAT | O_WRONLY, 010644, 0), EINVAL);
	CHECK_ERRNO(openat2_(dfd, "f", O_PATH | O_RDWR, 0, 0), EINVAL);
	CHECK_ERRNO(openat2_(dfd, "sub", O_DIRECTORY | O_CREAT, 0644, 0), EINVAL);
	CHECK_ERRNO(openat2_(dfd, "new", O_CREAT | O_WRONLY, 0644, RESOLVE_CACHED), EAGAIN);
	CHECK_ERRNO(openat2_(dfd, "f", O_WRONLY | O_TRUNC, 0, RESOLVE_CACHED), EAGAIN);
	errno = 0;
	fd = openat2_(dfd, "f", O_RDONLY, 0, RESOLVE_CACHED);
	CHECK(fd >= 0 || errno == EAGAIN, "RESOLVE_CACHED lookup: %ld", fd);
	if (fd >= 0)
		close((int)fd);
	CHECK_ERRNO(openat2_(dfd, "missing", O_RDONLY, 0, 0), ENOENT);

	/* O_CREAT with a mode: created with it (umask 0 here). */
	fd = openat2_(dfd, "made", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0640, 0);
	CHECK(fd >= 0, "openat2 O_CREAT");
	struct stat st;
	CHECK(fstat((int)fd, &st) == 0 && (st.st_mode & 07777) == 0640, "mode %o", st.st_mode);
	CHECK(fcntl((int)fd, F_GETFD) == FD_CLOEXEC, "O_CLOEXEC");
	close((int)fd);
}

static void test_symlinks(int dfd)
{
	CHECK_ERRNO(openat2_(dfd, "lnk", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
	CHECK_ERRNO(openat2_(dfd, "sublnk/f2", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
	expect_open(dfd, "sub/f2", O_RDONLY, RESOLVE_NO_SYMLINKS, "sub/f2");
	expect_open(dfd, "lnk", O_RDONLY, RESOLVE_NO_MAGICLINKS, "f");
	/* The link itself, not followed, is no violation. */
	long fd = openat2_(dfd, "lnk", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS);
	CHECK(fd >= 0, "O_PATH|O_NOFOLLOW of a symlink under RESOLVE_NO_SYMLINKS");
	close((int)fd);
	/* O_CREAT through a symlink to an existing file: not followed. */
	CHECK_ERRNO(openat2_(dfd, "lnk", O_CREAT | O_WRONLY, 0600, RESOLVE_NO_SYMLINKS), ELOOP);
}

static void test_beneath(int dfd)
{
	expect_open(dfd, "f", O_RDONLY, RESOLVE_BENEATH, "f");
	expect_open(dfd, "sub/../f", O_RDONLY, RESOLVE_BENEATH, "f");
	expect_open(dfd, "sub/upf", O_RDONLY, RESOLVE_BENEATH, "f"); /* ../f from sub */
	CHECK_ERRNO(openat2_(dfd, "..", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERRNO(openat2_(dfd, "sub/../..", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERRNO(openat2_(dfd, "/", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERRNO(openat2_(dfd, "abs", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERRNO(openat2_(dfd, "up/f", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERRNO(openat2_(dfd, "../x", O_CREAT | O_WRONLY, 0600, RESOLVE_BENEATH), EXDEV);
	long fd = openat2_(dfd, "sub/made2", O_CREAT | O_WRONLY, 0600, RESOLVE_BENEATH);
	CHECK(fd >= 0, "O_CREAT beneath");
	close((int)fd);
}

static void test_in_root(int dfd)
{
	expect_open(dfd, "/f", O_RDONLY, RESOLVE_IN_ROOT, "f");
	expect_open(dfd, "../../f", O_RDONLY, RESOLVE_IN_ROOT, "f");
	expect_open(dfd, "abs", O_RDONLY, RESOLVE_IN_ROOT, ".");   /* "/" is dir */
	expect_open(dfd, "abs/sub/f2", O_RDONLY, RESOLVE_IN_ROOT, "sub/f2");
	expect_open(dfd, "up/f", O_RDONLY, RESOLVE_IN_ROOT, "f");  /* ".." stops at dir */
	long fd = openat2_(dfd, "/made3", O_CREAT | O_WRONLY, 0600, RESOLVE_IN_ROOT);
	CHECK(fd >= 0, "O_CREAT in root");
	close((int)fd);
	CHECK(faccessat(dfd, "made3", F_OK, 0) == 0, "made3 created in the dir");
}

static void test_magic_xdev(int dfd)
{
	char path[64];
	int fd = openat(dfd, "f", O_RDONLY);

	CHECK(fd >= 0, "open f");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (access(path, F_OK) != 0) {
		close(fd);
		return; /* no /proc */
	}
	expect_open(AT_FDCWD, path, O_RDONLY, 0, path);
	CHECK_ERRNO(openat2_(AT_FDCWD, path, O_RDONLY, 0, RESOLVE_NO_MAGICLINKS), ELOOP);
	CHECK_ERRNO(openat2_(AT_FDCWD, path, O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
	int pfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
	CHECK(pfd >= 0, "open /proc/self/fd");
	snprintf(path, sizeof(path), "%d", fd);
	CHECK_ERRNO(openat2_(pfd, path, O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERRNO(openat2_(pfd, path, O_RDONLY, 0, RESOLVE_IN_ROOT), EXDEV);
	close(pfd);
	close(fd);

	/* /proc is another mount: into it, and out of it by "..". */
	CHECK_ERRNO(openat2_(AT_FDCWD, "/proc/self/status", O_RDONLY, 0, RESOLVE_NO_XDEV), EXDEV);
	int root = open("/", O_RDONLY | O_DIRECTORY);
	CHECK(root >= 0, "open /");
	CHECK_ERRNO(openat2_(root, "proc", O_RDONLY, 0, RESOLVE_NO_XDEV), EXDEV);
	close(root);
	int proc = open("/proc", O_RDONLY | O_DIRECTORY);
	CHECK(proc >= 0, "open /proc");
	CHECK_ERRNO(openat2_(proc, "..", O_RDONLY, 0, RESOLVE_NO_XDEV), EXDEV);
	expect_open(proc, "self/status", O_RDONLY, RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS,
		    "self/status");
	close(proc);
	expect_open(dfd, "sub/../f", O_RDONLY, RESOLVE_NO_XDEV, "f");
}

int main(void)
{
	errno = 0;
	long r = openat2_(AT_FDCWD, "/", O_RDONLY | O_DIRECTORY, 0, 0);
	if (r < 0 && errno == ENOSYS && under_qemu_user()) {
		printf("openat2: qemu-user has no openat2, skipped\n");
		return 77;
	}
	CHECK(r >= 0, "openat2 /");
	close((int)r);
	umask(0);
	strcpy(dir, "/tmp/openat2.XXXXXX");
	CHECK(mkdtemp(dir), "mkdtemp");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0, "open %s", dir);
	int fd = openat(dfd, "f", O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0, "create f");
	close(fd);
	CHECK(mkdirat(dfd, "sub", 0755) == 0, "mkdir sub");
	fd = openat(dfd, "sub/f2", O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0, "create sub/f2");
	close(fd);
	CHECK(symlinkat("f", dfd, "lnk") == 0, "symlink lnk");
	CHECK(symlinkat("sub", dfd, "sublnk") == 0, "symlink sublnk");
	CHECK(symlinkat("/", dfd, "abs") == 0, "symlink abs");
	CHECK(symlinkat("..", dfd, "up") == 0, "symlink up");
	CHECK(symlinkat("../f", dfd, "sub/upf") == 0, "symlink sub/upf");

	test_how(dfd);
	test_symlinks(dfd);
	test_beneath(dfd);
	test_in_root(dfd);
	test_magic_xdev(dfd);

	const char *names[] = { "sub/upf", "sub/f2", "sub/made2", "f", "lnk", "sublnk", "abs", "up",
				"made", "made3" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK(unlinkat(dfd, names[i], 0) == 0, "unlink %s", names[i]);
	CHECK(unlinkat(dfd, "sub", AT_REMOVEDIR) == 0, "rmdir sub");
	close(dfd);
	CHECK(rmdir(dir) == 0, "rmdir %s", dir);
	printf("openat2: ok\n");
	return 0;
}
