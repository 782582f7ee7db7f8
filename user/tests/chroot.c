/*
 * chroot(2): absolute paths, absolute symlinks and ".." stay below the
 * new root; getcwd names directories from it; the cwd is not changed by
 * chroot itself; the errors: ENOENT, ENOTDIR, EPERM for a non-root user.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>

static char top[64];

static void put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0, "create %s", path);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write %s", path);
	close(fd);
}

static void expect_file(const char *path, const char *text)
{
	char buf[64] = { 0 };
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0, "open %s", path);
	CHECK(read(fd, buf, sizeof(buf) - 1) == (ssize_t)strlen(text), "read %s", path);
	close(fd);
	CHECK(!strcmp(buf, text), "%s holds '%s'", path, buf);
}

static void inside(void *arg)
{
	char cwd[256];
	struct stat a, b;

	(void)arg;
	CHECK(chdir(top) == 0, "chdir top");
	CHECK(chroot("sub") == 0, "chroot sub (relative)");
	/* the cwd stays outside the new root until chdir, as on Linux */
	CHECK(chdir("/") == 0, "chdir /");
	CHECK(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, "/"), "getcwd: %s", cwd);
	expect_file("/f", "inside");
	expect_file("/../../../f", "inside");
	expect_file("/dir/../f", "inside");
	expect_file("/abs", "inside");     /* absolute symlink, from the new root */
	expect_file("/dir/rel", "inside"); /* relative symlink with .. above */
	CHECK(stat("/", &a) == 0 && stat("/..", &b) == 0, "stat / and /..");
	CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "/.. is /");
	CHECK(chdir("dir") == 0, "chdir dir");
	CHECK(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, "/dir"), "getcwd: %s", cwd);
	CHECK(access("/outside", F_OK) == -1 && errno == ENOENT, "the old root's file is hidden");
	int dfd = open("/dir", O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0, "open /dir");
	CHECK(faccessat(dfd, "/f", F_OK, 0) == 0, "*at with an absolute path");
	close(dfd);
	/* a second chroot nests */
	CHECK(chroot("/dir") == 0, "chroot /dir");
	CHECK(access("/rel", F_OK) == -1, "the relative link now points above the root");
	CHECK(chdir("/") == 0 && getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, "/"), "nested /");
}

static void not_root(void *arg)
{
	(void)arg;
	CHECK(setresuid(1000, 1000, 1000) == 0, "setresuid");
	CHECK_ERRNO(chroot(top), EPERM);
}

int main(void)
{
	char path[128];

	snprintf(top, sizeof(top), "/tmp/chroot.%d", (int)getpid());
	CHECK(mkdir(top, 0755) == 0, "mkdir %s", top);
	snprintf(path, sizeof(path), "%s/sub", top);
	CHECK(mkdir(path, 0755) == 0, "mkdir sub");
	snprintf(path, sizeof(path), "%s/sub/dir", top);
	CHECK(mkdir(path, 0755) == 0, "mkdir sub/dir");
	snprintf(path, sizeof(path), "%s/sub/f", top);
	put_file(path, "inside");
	snprintf(path, sizeof(path), "%s/outside", top);
	put_file(path, "outside");
	snprintf(path, sizeof(path), "%s/sub/abs", top);
	CHECK(symlink("/f", path) == 0, "symlink abs");
	snprintf(path, sizeof(path), "%s/sub/dir/rel", top);
	CHECK(symlink("../f", path) == 0, "symlink rel");

	CHECK_ERRNO(chroot("/nonexistent-dir"), ENOENT);
	snprintf(path, sizeof(path), "%s/outside", top);
	CHECK_ERRNO(chroot(path), ENOTDIR);
	CHECK_ERRNO(chroot(launder_ptr(8)), EFAULT);

	int status = run_in_child(inside, NULL);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "chrooted child 0x%x", status);
	status = run_in_child(not_root, NULL);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "non-root child 0x%x", status);
	/* the parent's root is its own */
	snprintf(path, sizeof(path), "%s/outside", top);
	expect_file(path, "outside");

	static const char *const files[] = { "sub/dir/rel", "sub/abs", "sub/f", "outside" };
	static const char *const dirs[] = { "sub/dir", "sub", "" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", top, files[i]);
		CHECK(unlink(path) == 0, "unlink %s", path);
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", top, dirs[i]);
		CHECK(rmdir(path) == 0, "rmdir %s", path);
	}
	puts("chroot: ok");
	return 0;
}
