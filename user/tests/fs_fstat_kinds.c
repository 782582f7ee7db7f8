/*
 * Issue 8 item 6: fstat on a pipe failed with EBADF. glibc's fstat is
 * fstatat(fd, "", AT_EMPTY_PATH), and a pipe's file had no inode for the
 * path walk to start from. Every kind of descriptor is checked here with
 * fstat (both the glibc call and the raw syscall), fstatat(AT_EMPTY_PATH)
 * and statx: pipes (a pipefs FIFO shared by both ends, Linux's fields),
 * memfd, a character device, a procfs file, a FIFO, sockets (sockfs),
 * eventfd and epoll
 * (Linux's anon_inodefs: one shared inode, mode 0600 without a type) and
 * (Ferrite only) message ports.
 */
#include "common.h"
#include "port_util.h"
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>

#define PIPEFS_MAGIC 0x50495045

/* fstat three ways; they must agree. */
static struct stat stat_fd(int fd, const char *what)
{
	struct stat a, b, c;
	struct statx sx;

	CHECK(fstat(fd, &a) == 0, "fstat(%s)", what);
	CHECK(syscall(SYS_fstat, fd, &b) == 0, "SYS_fstat(%s)", what);
	CHECK(fstatat(fd, "", &c, AT_EMPTY_PATH) == 0, "fstatat(%s, AT_EMPTY_PATH)", what);
	CHECK(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) == 0, "statx(%s)", what);
	CHECK(a.st_ino == b.st_ino && a.st_ino == c.st_ino && a.st_ino == sx.stx_ino, "%s: ino", what);
	CHECK(a.st_mode == b.st_mode && a.st_mode == c.st_mode && a.st_mode == sx.stx_mode,
	      "%s: mode", what);
	CHECK(a.st_dev == c.st_dev && a.st_size == c.st_size, "%s: dev/size", what);
	return a;
}

static void pipes(void)
{
	int p[2], q[2];

	CHECK(pipe(p) == 0 && pipe(q) == 0, "pipe");
	struct stat r = stat_fd(p[0], "pipe read end");
	struct stat w = stat_fd(p[1], "pipe write end");
	struct stat o = stat_fd(q[0], "other pipe");
	CHECK(S_ISFIFO(r.st_mode) && (r.st_mode & 07777) == 0600, "pipe mode 0%o", r.st_mode);
	CHECK(r.st_nlink == 1, "pipe nlink %lu", (unsigned long)r.st_nlink);
	CHECK(r.st_uid == geteuid() && r.st_gid == getegid(), "pipe owner");
	CHECK(r.st_rdev == 0 && r.st_blksize == 4096, "pipe rdev/blksize");
	CHECK(r.st_ino == w.st_ino && r.st_dev == w.st_dev, "both ends: one inode");
	CHECK(r.st_ino != o.st_ino && r.st_dev == o.st_dev, "two pipes: two inodes, one fs");
	CHECK(write(p[1], "hello", 5) == 5, "write");
	r = stat_fd(p[0], "pipe with data");
	CHECK(r.st_size == 0, "pipe st_size %ld (Linux: 0)", (long)r.st_size);
	struct statfs sf;
	CHECK(fstatfs(p[0], &sf) == 0 && sf.f_type == PIPEFS_MAGIC, "fstatfs(pipe) type 0x%lx",
	      (unsigned long)sf.f_type);
	/* A pipe is no directory. */
	CHECK_ERRNO(fstatat(p[0], "x", &r, 0), ENOTDIR);
	/* The inode belongs to the pipe: fchmod works on it, as on Linux. */
	CHECK(fchmod(p[1], 0640) == 0, "fchmod(pipe)");
	r = stat_fd(p[0], "pipe after fchmod");
	CHECK((r.st_mode & 07777) == 0640, "fchmod changed both ends: 0%o", r.st_mode);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
}

static void others(void)
{
	int m = (int)syscall(SYS_memfd_create, "kinds", 0);
	CHECK(m >= 0, "memfd_create");
	CHECK(write(m, "12345", 5) == 5, "write memfd");
	struct stat st = stat_fd(m, "memfd");
	CHECK(S_ISREG(st.st_mode) && st.st_size == 5, "memfd: mode 0%o size %ld", st.st_mode,
	      (long)st.st_size);
	CHECK(ftruncate(m, 8192) == 0, "ftruncate memfd");
	char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
	CHECK(map != MAP_FAILED, "mmap memfd");
	CHECK(memcmp(map, "12345", 5) == 0, "memfd data through mmap");
	map[4096] = 'z';
	char c;
	CHECK(pread(m, &c, 1, 4096) == 1 && c == 'z', "memfd shared mapping");
	munmap(map, 8192);
	close(m);
	CHECK_ERRNO(syscall(SYS_memfd_create, "x", 0x100), EINVAL);
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	CHECK_ERRNO(syscall(SYS_memfd_create, longname, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_memfd_create, launder_ptr(8), 0), EFAULT);
	m = (int)syscall(SYS_memfd_create, "cloexec", 1 /* MFD_CLOEXEC */);
	CHECK(m >= 0 && fcntl(m, F_GETFD) == FD_CLOEXEC, "MFD_CLOEXEC");
	close(m);

	int n = open("/dev/null", O_RDWR);
	CHECK(n >= 0, "open /dev/null");
	st = stat_fd(n, "/dev/null");
	CHECK(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3), "/dev/null: char 1:3");
	close(n);

	int pr = open("/proc/self/stat", O_RDONLY);
	CHECK(pr >= 0, "open /proc/self/stat");
	st = stat_fd(pr, "/proc/self/stat");
	CHECK(S_ISREG(st.st_mode), "procfs file is regular: 0%o", st.st_mode);
	close(pr);

	unlink("/tmp/kinds.fifo");
	CHECK(mkfifo("/tmp/kinds.fifo", 0600) == 0, "mkfifo");
	int f = open("/tmp/kinds.fifo", O_RDWR);
	CHECK(f >= 0, "open fifo");
	st = stat_fd(f, "fifo");
	CHECK(S_ISFIFO(st.st_mode), "fifo mode");
	close(f);
	unlink("/tmp/kinds.fifo");
}

static void anonymous(void)
{
	int e = eventfd(0, 0), p = epoll_create1(0);

	CHECK(e >= 0 && p >= 0, "eventfd/epoll_create1");
	struct stat se = stat_fd(e, "eventfd"), sp = stat_fd(p, "epoll");
	CHECK((se.st_mode & S_IFMT) == 0 && (se.st_mode & 07777) == 0600, "eventfd mode 0%o",
	      se.st_mode);
	CHECK(se.st_ino == sp.st_ino && se.st_dev == sp.st_dev, "one anonymous inode");
	close(e);
	close(p);

	/* Sockets: an inode each on sockfs, S_IFSOCK | 0777. */
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	struct stat s0 = stat_fd(sv[0], "socket"), s1 = stat_fd(sv[1], "socket peer");
	CHECK(S_ISSOCK(s0.st_mode) && (s0.st_mode & 07777) == 0777, "socket mode 0%o", s0.st_mode);
	CHECK(s0.st_ino != s1.st_ino && s0.st_dev == s1.st_dev, "two sockets: two inodes");
	close(sv[0]);
	close(sv[1]);
}

/* Ferrite's ports are anonymous files too (Linux's anon_inodefs look). */
static void ports(void)
{
	struct utsname u;

	if (uname(&u) || !strstr(u.release, "ferrite"))
		return;
	int fd = port_create("fs_fstat_kinds", 0);
	CHECK(fd >= 0, "port_create");
	struct stat st = stat_fd(fd, "port");
	CHECK((st.st_mode & S_IFMT) == 0 && (st.st_mode & 07777) == 0600, "port mode 0%o",
	      st.st_mode);
	close(fd);
}

int main(void)
{
	pipes();
	others();
	anonymous();
	ports();
	return 0;
}
