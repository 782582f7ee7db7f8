/*
 * File permissions as Linux checks them: a root process builds fixtures,
 * then a child that drops to uid/gid 65534 meets every denial with Linux's
 * errno: open's access mode, O_TRUNC, search permission on each path
 * component, directory write (create, unlink, rmdir, rename, symlink,
 * mkdir, mknod), sticky directories, chmod/chown/utimensat/truncate owner
 * rules, execve. Root's side: it reads anything but cannot execute a file
 * without an x bit, chown clears set-id bits, set-gid directories pass
 * their group on. Runs as root; exits 77 elsewhere.
 */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>

#define U1 65534
#define G1 65534
#define U_OTHER 65533

static char base[64];

static const char *P(const char *rel)
{
	static char buf[8][160];
	static int i;
	char *b = buf[i++ % 8];
	snprintf(b, sizeof(buf[0]), "%s/%s", base, rel);
	return b;
}

static void make_file(const char *rel, mode_t mode, uid_t uid, gid_t gid)
{
	int fd = open(P(rel), O_CREAT | O_WRONLY | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, "data\n", 5) == 5, "create %s", rel);
	CHECK(fchown(fd, uid, gid) == 0 && fchmod(fd, mode) == 0, "own %s", rel);
	close(fd);
}

static void make_dir(const char *rel, mode_t mode, uid_t uid, gid_t gid)
{
	CHECK(mkdir(P(rel), 0700) == 0, "mkdir %s", rel);
	CHECK(chown(P(rel), uid, gid) == 0 && chmod(P(rel), mode) == 0, "own %s", rel);
}

static void as_user(void *arg)
{
	(void)arg;
	struct stat st;
	int fd;

	CHECK(syscall(SYS_setgroups, 0, NULL) == 0, "setgroups");
	CHECK(syscall(SYS_setresgid, G1, G1, G1) == 0, "setresgid");
	CHECK(syscall(SYS_setresuid, U1, U1, U1) == 0, "setresuid");

	/* open: the access mode against owner/group/other bits */
	CHECK_ERRNO(open(P("secret"), O_RDONLY), EACCES);
	fd = open(P("pub"), O_RDONLY);
	CHECK(fd >= 0, "read a 0644 file");
	close(fd);
	CHECK_ERRNO(open(P("pub"), O_WRONLY), EACCES);
	CHECK_ERRNO(open(P("pub"), O_RDWR), EACCES);
	CHECK_ERRNO(open(P("pub"), O_RDONLY | O_TRUNC), EACCES);
	CHECK_ERRNO(open(P("pub"), O_WRONLY | O_CREAT, 0644), EACCES);
	CHECK_ERRNO(open(P("wonly"), O_RDONLY), EACCES);
	fd = open(P("wonly"), O_WRONLY);
	CHECK(fd >= 0, "write a 0222 file");
	close(fd);
	fd = open(P("secret"), O_PATH);
	CHECK(fd >= 0, "O_PATH needs no read right");
	close(fd);
	CHECK_ERRNO(open(P("pub"), O_RDONLY | O_NOATIME), EPERM);
	/* the group bits apply to the group, even when other has more */
	CHECK_ERRNO(open(P("grp_none"), O_RDONLY), EACCES);

	/* search permission on every directory of the path */
	CHECK_ERRNO(open(P("closed/f"), O_RDONLY), EACCES);
	CHECK_ERRNO(stat(P("closed/f"), &st), EACCES);
	CHECK_ERRNO(access(P("closed/f"), F_OK), EACCES);
	CHECK_ERRNO(chdir(P("closed")), EACCES);
	CHECK_ERRNO(open(P("closed/sub/../f"), O_RDONLY), EACCES);
	CHECK(stat(P("closed"), &st) == 0, "stat of the closed dir itself");
	/* read permission on a directory: listing, not lookups */
	CHECK_ERRNO(opendir(P("noread")) ? 0 : -1, EACCES);
	fd = open(P("noread/f"), O_RDONLY);
	CHECK(fd >= 0, "a name in an x-only directory");
	close(fd);
	CHECK(chdir(P("noread")) == 0, "chdir to an x-only directory");
	CHECK(chdir("/") == 0, "chdir /");

	/* write permission on the directory for every name change */
	CHECK_ERRNO(open(P("ro_dir/new"), O_CREAT | O_WRONLY, 0644), EACCES);
	CHECK_ERRNO(mkdir(P("ro_dir/d"), 0755), EACCES);
	CHECK_ERRNO(mkdir(P("ro_dir/sub"), 0755), EEXIST);
	CHECK_ERRNO(mknod(P("ro_dir/fifo"), S_IFIFO | 0644, 0), EACCES);
	CHECK_ERRNO(symlink("x", P("ro_dir/l")), EACCES);
	CHECK_ERRNO(unlink(P("ro_dir/f")), EACCES);
	CHECK_ERRNO(rmdir(P("ro_dir/sub")), EACCES);
	CHECK_ERRNO(rename(P("ro_dir/f"), P("userdir/f")), EACCES);
	CHECK_ERRNO(rename(P("userdir/own"), P("ro_dir/own")), EACCES);
	CHECK_ERRNO(link(P("userdir/own"), P("ro_dir/own")), EACCES);
	CHECK_ERRNO(unlink(P("closed/f")), EACCES);
	/* a directory moving to another parent needs write on itself */
	CHECK_ERRNO(rename(P("userdir/rootsub"), P("userdir/own_dir/rootsub")), EACCES);
	/* device nodes need CAP_MKNOD; FIFOs do not */
	CHECK_ERRNO(mknod(P("userdir/null"), S_IFCHR | 0666, makedev(1, 3)), EPERM);
	CHECK(mknod(P("userdir/fifo"), S_IFIFO | 0644, 0) == 0, "mkfifo in own dir");

	/* sticky directory: only the owner of the name (or the dir) */
	fd = open(P("sticky/mine"), O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0, "create in a sticky dir");
	close(fd);
	CHECK_ERRNO(unlink(P("sticky/rootfile")), EPERM);
	CHECK_ERRNO(rename(P("sticky/rootfile"), P("sticky/x")), EPERM);
	CHECK_ERRNO(rename(P("sticky/mine"), P("sticky/rootfile")), EPERM);
	CHECK_ERRNO(rmdir(P("sticky/rootdir")), EPERM);
	CHECK(rename(P("sticky/mine"), P("sticky/mine2")) == 0, "rename own in sticky");
	CHECK(unlink(P("sticky/mine2")) == 0, "unlink own in sticky");
	fd = open(P("sticky/rootfile"), O_WRONLY);
	CHECK(fd >= 0, "a 0666 file in a sticky dir is writable");
	close(fd);

	/* owner-only attribute changes */
	CHECK_ERRNO(chmod(P("pub"), 0777), EPERM);
	CHECK_ERRNO(chown(P("pub"), U1, -1), EPERM);
	CHECK_ERRNO(chown(P("userdir/own"), 0, -1), EPERM);
	CHECK_ERRNO(chown(P("userdir/own"), -1, 0), EPERM);
	CHECK(chown(P("userdir/own"), -1, G1) == 0, "chgrp to one's own group");
	CHECK(chmod(P("userdir/own"), 0640) == 0, "chmod own file");
	CHECK_ERRNO(utimensat(AT_FDCWD, P("pub"), NULL, 0), EACCES);
	CHECK(utimensat(AT_FDCWD, P("world"), NULL, 0) == 0, "touch a writable file");
	struct timespec ts[2] = { { 1000, 0 }, { 2000, 0 } };
	CHECK_ERRNO(utimensat(AT_FDCWD, P("world"), ts, 0), EPERM);
	CHECK(utimensat(AT_FDCWD, P("userdir/own"), ts, 0) == 0, "set own times");
	CHECK(chown(P("pub"), -1, -1) == 0, "chown(-1, -1) asks for nothing");
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	CHECK(utimensat(AT_FDCWD, P("pub"), omit, 0) == 0, "utimensat(OMIT, OMIT)");
	CHECK(utimensat(AT_FDCWD, P("closed/f"), omit, 0) == 0, "OMIT, OMIT: no path walk");
	CHECK_ERRNO(truncate(P("pub"), 0), EACCES);
	CHECK(truncate(P("world"), 1) == 0, "truncate a writable file");
	/* a set-gid bit for a group one is not in is dropped by chmod */
	CHECK(chown(P("userdir/own"), -1, G1) == 0 && chmod(P("userdir/own"), 02755) == 0,
	      "chmod g+s own group");
	CHECK(stat(P("userdir/own"), &st) == 0 && (st.st_mode & 07777) == 02755, "g+s kept: %o",
	      st.st_mode & 07777);

	/* execve needs x on the file and search on the path */
	char *argv[] = { "x", NULL }, *envp[] = { NULL };
	CHECK_ERRNO(execve(P("secret"), argv, envp), EACCES);
	CHECK_ERRNO(execve(P("pub"), argv, envp), EACCES);
	CHECK_ERRNO(execve(P("closed/prog"), argv, envp), EACCES);
	CHECK_ERRNO(execve(P("userdir"), argv, envp), EACCES);
	CHECK_ERRNO(execve(P("root_x"), argv, envp), EACCES); /* 0700 of root */
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

int main(void)
{
	if (getuid() != 0 || geteuid() != 0)
		return 77;
	umask(022);
	snprintf(base, sizeof(base), "/tmp/perm_files.%d", (int)getpid());
	CHECK(mkdir(base, 0755) == 0, "mkdir %s", base);
	make_file("secret", 0600, 0, 0);
	make_file("pub", 0644, 0, 0);
	make_file("world", 0666, 0, 0);
	make_file("wonly", 0222, 0, 0);
	make_file("grp_none", 0604, 0, G1);
	make_file("root_x", 0700, 0, 0);
	make_file("root_nox", 0644, 0, 0);
	make_dir("closed", 0700, 0, 0);
	make_dir("closed/sub", 0755, 0, 0);
	make_file("closed/f", 0644, 0, 0);
	make_file("closed/prog", 0755, 0, 0);
	make_dir("noread", 0311, 0, 0);
	make_file("noread/f", 0644, 0, 0);
	make_dir("ro_dir", 0755, 0, 0);
	make_dir("ro_dir/sub", 0755, 0, 0);
	make_file("ro_dir/f", 0666, 0, 0);
	make_dir("sticky", 01777, 0, 0);
	make_file("sticky/rootfile", 0666, 0, 0);
	make_dir("sticky/rootdir", 0777, 0, 0);
	make_dir("userdir", 0755, U1, G1);
	make_file("userdir/own", 0644, U1, G1);
	make_dir("userdir/own_dir", 0755, U1, G1);
	make_dir("userdir/rootsub", 0755, 0, 0);

	int st = run_in_child(as_user, NULL);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unprivileged child: status 0x%x", st);

	/* Root reads anything, but needs some x bit to execute. */
	int fd = open(P("wonly"), O_RDONLY);
	CHECK(fd >= 0, "root reads a 0222 file");
	close(fd);
	CHECK(access(P("wonly"), R_OK | W_OK) == 0, "root's access(R|W)");
	CHECK_ERRNO(access(P("root_nox"), X_OK), EACCES);
	char *argv[] = { "x", NULL }, *envp[] = { NULL };
	CHECK_ERRNO(execve(P("root_nox"), argv, envp), EACCES);
	CHECK(access(P("noread"), R_OK | W_OK | X_OK) == 0, "root may do all to a directory");

	/* chown clears set-uid, and set-gid when group-executable. */
	struct stat s;
	make_file("suid", 06755, 0, 0);
	CHECK(chown(P("suid"), U1, -1) == 0, "chown suid");
	CHECK(stat(P("suid"), &s) == 0 && (s.st_mode & 07777) == 0755, "after chown: %o",
	      s.st_mode & 07777);
	make_file("sgid_nx", 02745, 0, 0);
	CHECK(chown(P("sgid_nx"), U1, -1) == 0, "chown sgid_nx");
	CHECK(stat(P("sgid_nx"), &s) == 0 && (s.st_mode & 07777) == 02745, "sgid without g+x: %o",
	      s.st_mode & 07777);

	/* A set-gid directory gives its group to new names, and the bit to
	 * new directories. */
	make_dir("sgdir", 02775, 0, G1);
	make_file("sgdir/f", 0644, 0, 0);
	CHECK(stat(P("sgdir/f"), &s) == 0, "stat sgdir/f");
	CHECK(mkdir(P("sgdir/d"), 0755) == 0, "mkdir in sgdir");
	fd = open(P("sgdir/g"), O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0, "create in sgdir");
	close(fd);
	CHECK(stat(P("sgdir/g"), &s) == 0 && s.st_gid == G1, "group from the dir: %u", s.st_gid);
	CHECK(stat(P("sgdir/d"), &s) == 0 && s.st_gid == G1 && (s.st_mode & S_ISGID),
	      "subdir inherits: gid %u mode %o", s.st_gid, s.st_mode);

	CHECK(nftw(base, rm_one, 8, FTW_DEPTH | FTW_PHYS) == 0, "cleanup");
	return 0;
}
