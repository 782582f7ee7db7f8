/*
 * /proc/PID/fd, /proc/PID/fdinfo, /dev/fd and /dev/std{in,out,err}: the
 * link texts (paths, pipe:[ino], socket:[ino], anon_inode:[eventfd]),
 * the directory listing, fdinfo's pos and flags, reopening through the
 * link (a new description on the same file; a pipe's other end), ENXIO
 * for a socket, another process's table, and the owner-only permission.
 */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>

static void link_of(int fd, char *out, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, out, size - 1);
	CHECK(n > 0, "readlink %s", path);
	out[n] = '\0';
}

static void expect_link(int fd, const char *want)
{
	char got[PATH_MAX];

	link_of(fd, got, sizeof(got));
	CHECK(strcmp(got, want) == 0, "fd %d -> '%s', want '%s'", fd, got, want);
}

static void expect_ino_link(int fd, const char *kind)
{
	struct stat st;
	char want[64];

	CHECK(fstat(fd, &st) == 0, "fstat");
	snprintf(want, sizeof(want), "%s:[%lu]", kind, (unsigned long)st.st_ino);
	expect_link(fd, want);
}

static bool listed(const char *dir, int fd)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char name[16];
	bool found = false;

	CHECK(d, "opendir %s", dir);
	snprintf(name, sizeof(name), "%d", fd);
	while ((e = readdir(d)))
		if (!strcmp(e->d_name, name))
			found = true;
	closedir(d);
	return found;
}

int main(void)
{
	char buf[PATH_MAX], path[64];
	int p[2], sv[2];
	FILE *f;

	/* paths, absolute and relative */
	int a = open("/tmp/procfd_a", O_CREAT | O_RDWR | O_TRUNC, 0600);
	CHECK(a >= 0, "open a");
	expect_link(a, "/tmp/procfd_a");
	CHECK(chdir("/tmp") == 0, "chdir");
	int b = open("procfd_b", O_CREAT | O_WRONLY | O_APPEND | O_TRUNC, 0600);
	CHECK(b >= 0, "open b");
	expect_link(b, "/tmp/procfd_b");

	/* pipes, sockets, eventfd */
	CHECK(pipe(p) == 0, "pipe");
	expect_ino_link(p[0], "pipe");
	expect_ino_link(p[1], "pipe");
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	expect_ino_link(sv[0], "socket");
	int e = eventfd(0, 0);
	CHECK(e >= 0, "eventfd");
	expect_link(e, "anon_inode:[eventfd]");

	/* listing; a closed descriptor is gone */
	CHECK(listed("/proc/self/fd", 0) && listed("/proc/self/fd", a) && listed("/proc/self/fd", e),
	      "listing");
	CHECK(listed("/dev/fd", p[1]), "/dev/fd lists too");
	CHECK(listed("/proc/self/fdinfo", sv[1]), "fdinfo listing");
	close(sv[1]);
	CHECK(dup2(e, 50) == 50 && listed("/proc/self/fd", 50), "dup2 to 50");
	close(50);
	CHECK(!listed("/proc/self/fd", 50), "closed fd still listed");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", 50);
	CHECK_ERRNO(readlink(path, buf, sizeof(buf)), ENOENT);
	CHECK_ERRNO(readlink("/proc/self/fd/99999", buf, sizeof(buf)), ENOENT);
	CHECK_ERRNO(readlink("/proc/self/fd/01", buf, sizeof(buf)), ENOENT);

	/* fdinfo: pos and flags */
	CHECK(write(a, "0123456789", 10) == 10, "write");
	CHECK(lseek(a, 5, SEEK_SET) == 5, "lseek");
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", a);
	f = fopen(path, "r");
	CHECK(f, "fopen %s", path);
	long long pos = -1;
	unsigned flags = 0;
	CHECK(fscanf(f, "pos: %lld flags: %o", &pos, &flags) == 2, "fdinfo format");
	fclose(f);
	CHECK(pos == 5 && (flags & O_ACCMODE) == O_RDWR, "fdinfo a: pos %lld flags %o", pos, flags);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", b);
	f = fopen(path, "r");
	CHECK(f && fscanf(f, "pos: %lld flags: %o", &pos, &flags) == 2, "fdinfo b");
	fclose(f);
	CHECK((flags & O_ACCMODE) == O_WRONLY && (flags & O_APPEND), "fdinfo b: flags %o", flags);

	/* reopening: a new description of the same file */
	snprintf(path, sizeof(path), "/dev/fd/%d", a);
	int a2 = open(path, O_RDONLY);
	CHECK(a2 >= 0, "open %s", path);
	CHECK(read(a2, buf, 3) == 3 && !memcmp(buf, "012", 3), "reopened at offset 0");
	CHECK(lseek(a, 0, SEEK_CUR) == 5, "the original keeps its offset");
	struct stat s1, s2;
	CHECK(fstat(a, &s1) == 0 && fstat(a2, &s2) == 0 && s1.st_ino == s2.st_ino, "same inode");
	close(a2);

	/* a pipe's read end, reopened, reads what the write end writes */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	int r2 = open(path, O_RDONLY);
	CHECK(r2 >= 0, "reopen the pipe");
	CHECK(write(p[1], "hi", 2) == 2, "pipe write");
	CHECK(read(r2, buf, 2) == 2 && !memcmp(buf, "hi", 2), "read through the reopened pipe");
	close(r2);

	/* no FIFO rendezvous for a pipe: its write end gone, the reopened
	 * read end does not wait, reads what is left, then EOF (bash's
	 * here-strings read as /dev/fd/0) */
	int q[2];
	CHECK(pipe(q) == 0, "pipe");
	CHECK(write(q[1], "left", 4) == 4, "write");
	close(q[1]);
	snprintf(path, sizeof(path), "/dev/fd/%d", q[0]);
	int q2 = open(path, O_RDONLY);
	CHECK(q2 >= 0, "reopen a pipe without writers");
	CHECK(read(q2, buf, sizeof(buf)) == 4 && !memcmp(buf, "left", 4), "data left");
	CHECK(read(q2, buf, sizeof(buf)) == 0, "then EOF");
	close(q2);
	close(q[0]);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", sv[0]);
	CHECK_ERRNO(open(path, O_RDWR), ENXIO);

	/* /dev/stdin and friends */
	ssize_t n = readlink("/dev/stdin", buf, sizeof(buf) - 1);
	CHECK(n > 0, "readlink /dev/stdin");
	buf[n] = '\0';
	CHECK(!strcmp(buf, "/proc/self/fd/0"), "/dev/stdin -> %s", buf);
	n = readlink("/dev/stderr", buf, sizeof(buf) - 1);
	CHECK(n > 0 && (buf[n] = '\0', !strcmp(buf, "/proc/self/fd/2")), "/dev/stderr");
	int out = open("/dev/stdout", O_WRONLY);
	CHECK(out >= 0, "open /dev/stdout");
	close(out);

	/* another process's table; and only its owner (or root) may look */
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int c = open("/tmp/procfd_child", O_CREAT | O_RDWR, 0600);
		if (c != 40 && dup2(c, 40) != 40)
			_exit(2);
		char x;
		if (read(p[0], &x, 1) != 1) /* until the parent looked */
			_exit(3);
		_exit(0);
	}
	for (int tries = 0; tries < 500; tries++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/40", (int)pid);
		n = readlink(path, buf, sizeof(buf) - 1);
		if (n > 0)
			break;
		usleep(10000);
	}
	CHECK(n > 0, "readlink %s", path);
	buf[n] = '\0';
	CHECK(!strcmp(buf, "/tmp/procfd_child"), "child's fd 40 -> %s", buf);
	CHECK(write(p[1], "x", 1) == 1, "release the child");
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child 0x%x", st);

	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		CHECK(setuid(65534) == 0, "setuid");
		CHECK(opendir("/proc/1/fd") == NULL && errno == EACCES, "another user's fd dir");
		CHECK_ERRNO(readlink("/proc/1/fd/0", buf, sizeof(buf)), EACCES);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child 0x%x", st);

	unlink("/tmp/procfd_a");
	unlink("/tmp/procfd_b");
	unlink("/tmp/procfd_child");
	printf("proc_fd: ok\n");
	return 0;
}
