/*
 * Helpers of the Debian program tests (debian_*.c, group dynprog): run a
 * program of Debian's sysroot (scripts/fetch-debian-programs.sh) chrooted
 * in a small root made in /tmp, and return what it printed.
 *
 * The root is /tmp/debian.PID: usr is the sysroot's /usr, the rest (bin,
 * lib... as links into usr, dev with null/zero/urandom, a writable tmp,
 * etc/passwd, root) is made here, so nothing needs a writable disk.
 *   Inside Ferrite: usr is the ext4 disk labelled "ferrite-debian" (made by
 *   scripts/run-tests.sh from the sysroot's usr), mounted read-only.
 *   On Linux (as root, natively): usr is a bind mount of the sysroot's usr
 *   in a private mount name space; the sysroot is FERRITE_DEBIAN_SYSROOT or
 *   BUILD/debian-ARCH/root found from this program's own path
 *   (BUILD/ARCH/user/tests/NAME). Under qemu-user, or without the sysroot
 *   or root, the test is skipped (77): the programs' own fork+exec of
 *   riscv64 binaries needs binfmt_misc, which this machine lacks.
 */
#ifndef FERRITE_DEBIAN_COMMON_H
#define FERRITE_DEBIAN_COMMON_H

#include "common.h"
#include "disk_label.h"
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define DEBIAN_LABEL "ferrite-debian"

static char debian_top[64];
static bool debian_mounted;

/* The disk labelled DEBIAN_LABEL among /dev/vd[a-h], or NULL. */
static const char *debian_find_disk(void)
{
	return disk_find_ext4(DEBIAN_LABEL);
}

/* The sysroot on Linux, or NULL. */
static const char *debian_linux_sysroot(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("FERRITE_DEBIAN_SYSROOT");
	char exe[PATH_MAX];

	if (env && *env)
		return env;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	/* BUILD/ARCH/user/tests/NAME -> BUILD/debian-ARCH/root */
	char *parts[4];
	for (int i = 0; i < 4; i++) {
		parts[i] = strrchr(exe, '/');
		if (!parts[i])
			return NULL;
		*parts[i] = '\0';
	}
	if (snprintf(path, sizeof(path), "%s/debian-%s/root", exe, parts[3] + 1) >= (int)sizeof(path))
		return NULL;
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? path : NULL;
}

static void debian_put(const char *rel, const char *text, mode_t mode)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", debian_top, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CHECK(fd >= 0, "create %s", path);
	size_t len = strlen(text);
	CHECK(write(fd, text, len) == (ssize_t)len, "write %s", path);
	close(fd);
}

static void debian_mkdir(const char *rel, mode_t mode)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", debian_top, rel);
	CHECK(mkdir(path, mode) == 0 || errno == EEXIST, "mkdir %s", path);
	chmod(path, mode);
}

static void debian_link(const char *target, const char *rel)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", debian_top, rel);
	CHECK(symlink(target, path) == 0, "symlink %s", path);
}

static void debian_node(const char *rel, unsigned minor)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", debian_top, rel);
	CHECK(mknod(path, S_IFCHR | 0666, makedev(1, minor)) == 0, "mknod %s", path);
}

/* Make the root; return 0, or 77 when this run cannot have one. */
static int debian_setup(void)
{
	const char *dev = debian_find_disk();
	const char *sysroot = NULL;
	char usr[256], from[PATH_MAX];

	if (!dev) {
		if (under_qemu_user() || geteuid() != 0)
			return 77;
		sysroot = debian_linux_sysroot();
		if (!sysroot) {
			printf("no disk labelled " DEBIAN_LABEL " and no sysroot: skipped\n");
			return 77;
		}
	}
	snprintf(debian_top, sizeof(debian_top), "/tmp/debian.%d", (int)getpid());
	CHECK(mkdir(debian_top, 0755) == 0, "mkdir %s", debian_top);
	debian_mkdir("usr", 0755);
	snprintf(usr, sizeof(usr), "%s/usr", debian_top);
	if (dev) {
		CHECK(mount(dev, usr, "ext4", MS_RDONLY, NULL) == 0, "mount %s on %s", dev, usr);
	} else {
		CHECK(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS)");
		CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private");
		CHECK(snprintf(from, sizeof(from), "%s/usr", sysroot) < (int)sizeof(from), "long path");
		CHECK(mount(from, usr, NULL, MS_BIND, NULL) == 0, "bind %s", from);
	}
	debian_mounted = true;
	debian_link("usr/bin", "bin");
	debian_link("usr/sbin", "sbin");
	debian_link("usr/lib", "lib");
	struct stat st;
	snprintf(from, sizeof(from), "%s/usr/lib64", debian_top);
	if (stat(from, &st) == 0)
		debian_link("usr/lib64", "lib64");
	debian_mkdir("dev", 0755);
	debian_node("dev/null", 3);
	debian_node("dev/zero", 5);
	debian_node("dev/urandom", 9);
	debian_mkdir("tmp", 01777);
	debian_mkdir("root", 0700);
	debian_mkdir("etc", 0755);
	debian_put("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n", 0644);
	debian_put("etc/group", "root:x:0:\n", 0644);
	return 0;
}

/* Remove what rel names below the root, recursively (no symlink followed). */
static void debian_remove(const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *de;
		CHECK(d, "opendir %s", path);
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char sub[PATH_MAX];
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			debian_remove(sub);
		}
		closedir(d);
		CHECK(rmdir(path) == 0, "rmdir %s", path);
	} else {
		CHECK(unlink(path) == 0, "unlink %s", path);
	}
}

static void debian_teardown(void)
{
	char usr[256];
	snprintf(usr, sizeof(usr), "%s/usr", debian_top);
	if (debian_mounted)
		CHECK(umount(usr) == 0, "umount %s", usr);
	debian_mounted = false;
	debian_remove(debian_top);
}

/*
 * Run argv (argv[0] a path inside the root) chrooted in the root, from
 * /root, with a plain environment and stdin from /dev/null; return its
 * output (stdout and stderr together, malloc'd) and its wait status.
 */
static char *debian_run(char *const argv[], int *status)
{
	static char *const envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root",
				      "LANG=C.UTF-8", "TZ=UTC", "TERM=dumb", NULL };
	int pipefd[2];

	CHECK(pipe(pipefd) == 0, "pipe");
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		close(pipefd[0]);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[1]);
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0) {
			dup2(null, 0);
			close(null);
		}
		if (chroot(debian_top) != 0 || chdir("/root") != 0) {
			printf("chroot %s: %s\n", debian_top, strerror(errno));
			_exit(126);
		}
		execve(argv[0], argv, envp);
		printf("execve %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	size_t cap = 4096, len = 0;
	char *out = malloc(cap);
	CHECK(out, "malloc");
	for (;;) {
		if (len + 1024 > cap) {
			cap *= 2;
			out = realloc(out, cap);
			CHECK(out, "realloc");
		}
		ssize_t n = read(pipefd[0], out + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		CHECK(n >= 0, "read the output");
		if (n == 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	close(pipefd[0]);
	CHECK(waitpid(pid, status, 0) == pid, "waitpid");
	return out;
}

/* Run argv; it must exit 0 and print exactly want. */
static void debian_expect(char *const argv[], const char *want)
{
	int status;
	char *out = debian_run(argv, &status);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || strcmp(out, want)) {
		printf("---- %s printed:\n%s---- want:\n%s----\n", argv[0], out, want);
		debian_teardown();
		FAIL("%s %s: status 0x%x, output differs", argv[0], argv[1] ? argv[1] : "", status);
	}
	free(out);
}

#endif
