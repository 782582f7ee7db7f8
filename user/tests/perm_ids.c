/*
 * Credentials with Linux's rules: setuid/setreuid/setresuid/setfsuid (and
 * the gid ones), supplementary groups (setgroups/getgroups and their use in
 * file and System V checks), access(2) with the real ids against
 * faccessat(AT_EACCESS), and kill permission between users. Runs as root
 * (it needs to give ids away); exits 77 elsewhere.
 */
#include "common.h"
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#define U1 65534
#define U2 65533
#define G1 65534
#define G_SUPP 4242
#define G_OTHER 4243

static char base[64], secret[96], grpfile[96], othergrp[96];

/* Raw calls: glibc's wrappers broadcast to threads, which qemu-user dislikes. */
static long xsetresuid(uid_t r, uid_t e, uid_t s) { return syscall(SYS_setresuid, r, e, s); }
static long xsetresgid(gid_t r, gid_t e, gid_t s) { return syscall(SYS_setresgid, r, e, s); }
static long xsetuid(uid_t u) { return syscall(SYS_setuid, u); }
static long xsetreuid(uid_t r, uid_t e) { return syscall(SYS_setreuid, r, e); }
static long xsetfsuid(uid_t u) { return syscall(SYS_setfsuid, u); }
static long xsetgroups(size_t n, const gid_t *g) { return syscall(SYS_setgroups, n, g); }

static void expect_ids(uid_t r, uid_t e, uid_t s, const char *what)
{
	uid_t a, b, c;
	CHECK(getresuid(&a, &b, &c) == 0, "getresuid");
	CHECK(a == r && b == e && c == s, "%s: ids %u/%u/%u, want %u/%u/%u", what, a, b, c, r, e,
	      s);
}

static void id_rules(void *arg)
{
	(void)arg;
	/* Root may set any; setreuid with the real id set moves the saved. */
	CHECK(xsetreuid(U1, U2) == 0, "root setreuid");
	expect_ids(U1, U2, U2, "setreuid(U1, U2)");
	/* Unprivileged now: the effective id may go to the real one; the
	 * saved stays when it becomes the old real id. */
	CHECK(xsetreuid(-1, U1) == 0, "setreuid(-1, real)");
	expect_ids(U1, U1, U2, "setreuid(-1, U1)");
	/* setuid to the saved id changes only the effective one. */
	CHECK(xsetuid(U2) == 0, "setuid(saved)");
	expect_ids(U1, U2, U2, "setuid(U2)");
	CHECK_ERRNO(xsetuid(0), EPERM);
	CHECK_ERRNO(xsetresuid(0, -1, -1), EPERM);
	CHECK_ERRNO(xsetresuid(-1, -1, 0), EPERM);
	CHECK_ERRNO(xsetreuid(0, -1), EPERM);
	CHECK_ERRNO(xsetreuid(-1, 0), EPERM);
	CHECK_ERRNO(xsetgroups(0, NULL), EPERM);
	CHECK_ERRNO(xsetresgid(G_OTHER, -1, -1), EPERM);
	/* Any permutation of the three is allowed. */
	CHECK(xsetresuid(U2, U1, U2) == 0, "setresuid permutation");
	expect_ids(U2, U1, U2, "setresuid(U2, U1, U2)");
	/* setfsuid returns the old fsuid, changing it only when allowed. */
	CHECK(xsetfsuid(0) == U1, "setfsuid(0) returns old");
	CHECK(xsetfsuid(-1) == U1, "fsuid unchanged by a refused setfsuid");
	CHECK(xsetfsuid(U2) == U1, "setfsuid(U2)");
	CHECK(xsetfsuid(-1) == U2, "fsuid now U2");
	/* Changing the effective id moves the fsuid with it. */
	CHECK(xsetresuid(-1, U2, -1) == 0, "setresuid(-1, U2, -1)");
	CHECK(xsetfsuid(-1) == U2, "fsuid follows euid");
	CHECK_ERRNO(setuid(-1), EINVAL);
}

static int shm_grp, shm_other;

static void groups_child(void *arg)
{
	(void)arg;
	gid_t g[4] = { G_SUPP };
	CHECK(xsetgroups(1, g) == 0, "setgroups");
	CHECK(getgroups(0, NULL) == 1, "getgroups(0) counts");
	CHECK_ERRNO(syscall(SYS_getgroups, -1, g), EINVAL);
	CHECK(getgroups(4, g) == 1 && g[0] == G_SUPP, "getgroups list");
	CHECK(xsetresgid(G1, G1, G1) == 0 && xsetresuid(U1, U1, U1) == 0, "drop");
	int fd = open(grpfile, O_RDONLY);
	CHECK(fd >= 0, "a file of a supplementary group is readable");
	close(fd);
	CHECK_ERRNO(open(othergrp, O_RDONLY), EACCES);
	CHECK_ERRNO(open(grpfile, O_WRONLY), EACCES);
	/* chown to a group one is in; not to another. */
	char mine[128];
	snprintf(mine, sizeof(mine), "%s/userdir/mine", base);
	fd = open(mine, O_CREAT | O_WRONLY, 0644);
	CHECK(fd >= 0, "create in own dir");
	close(fd);
	struct stat st;
	CHECK(stat(mine, &st) == 0 && st.st_uid == U1 && st.st_gid == G1, "new file owner %u:%u",
	      st.st_uid, st.st_gid);
	CHECK(chown(mine, -1, G_SUPP) == 0, "chgrp to a supplementary group");
	CHECK_ERRNO(chown(mine, -1, G_OTHER), EPERM);
	CHECK_ERRNO(chown(mine, 0, -1), EPERM);
	CHECK(chown(mine, U1, -1) == 0, "chown to oneself");
	/* System V: a 0660 segment of the supplementary group. */
	void *at = shmat(shm_grp, NULL, 0);
	CHECK(at != (void *)-1, "shmat of a group segment");
	shmdt(at);
	CHECK_ERRNO(shmat(shm_other, NULL, SHM_RDONLY), EACCES);
}

static void access_real(void *arg)
{
	(void)arg;
	/* Real uid U1, effective root: access() asks for the real user. */
	CHECK(xsetresuid(U1, 0, 0) == 0, "setresuid(U1, 0, 0)");
	CHECK_ERRNO(access(secret, R_OK), EACCES);
	CHECK(faccessat(AT_FDCWD, secret, R_OK, AT_EACCESS) == 0, "AT_EACCESS as root");
	int fd = open(secret, O_RDONLY);
	CHECK(fd >= 0, "open as euid 0");
	close(fd);
	/* The fsuid decides opens. */
	CHECK(xsetfsuid(U1) == 0, "setfsuid(U1)");
	CHECK_ERRNO(open(secret, O_RDONLY), EACCES);
	CHECK(xsetfsuid(0) == U1, "setfsuid(0)");
	fd = open(secret, O_RDONLY);
	CHECK(fd >= 0, "open with fsuid 0 again");
	close(fd);
	/* The other way round: real root, effective U1. */
	CHECK(xsetresuid(0, U1, 0) == 0, "setresuid(0, U1, 0)");
	CHECK(access(secret, R_OK) == 0, "access with real root");
	CHECK_ERRNO(faccessat(AT_FDCWD, secret, R_OK, AT_EACCESS), EACCES);
	CHECK_ERRNO(open(secret, O_RDONLY), EACCES);
	/* Root has no exec right on a file nobody may execute. */
	CHECK_ERRNO(access(secret, X_OK), EACCES);
}

static void kill_other(void *arg)
{
	pid_t victim = (pid_t)(long)arg;
	CHECK(xsetresuid(U2, U2, U2) == 0, "become U2");
	CHECK_ERRNO(kill(victim, 0), EPERM);
	CHECK_ERRNO(kill(victim, SIGKILL), EPERM);
	CHECK_ERRNO(kill(getppid(), SIGTERM), EPERM); /* root's process */
	CHECK(kill(getpid(), 0) == 0, "signal oneself");
	CHECK_ERRNO(kill(-victim, SIGKILL), EPERM); /* its group: nobody allowed */
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
	snprintf(base, sizeof(base), "/tmp/perm_ids.%d", (int)getpid());
	snprintf(secret, sizeof(secret), "%s/secret", base);
	snprintf(grpfile, sizeof(grpfile), "%s/grp", base);
	snprintf(othergrp, sizeof(othergrp), "%s/othergrp", base);
	umask(022);
	CHECK(mkdir(base, 0755) == 0, "mkdir %s", base);
	int fd = open(secret, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0 && write(fd, "s", 1) == 1, "secret");
	close(fd);
	fd = open(grpfile, O_CREAT | O_WRONLY, 0640);
	CHECK(fd >= 0 && fchown(fd, 0, G_SUPP) == 0, "grp file");
	close(fd);
	fd = open(othergrp, O_CREAT | O_WRONLY, 0640);
	CHECK(fd >= 0 && fchown(fd, 0, G_OTHER) == 0, "other group file");
	close(fd);
	char ud[96];
	snprintf(ud, sizeof(ud), "%s/userdir", base);
	CHECK(mkdir(ud, 0755) == 0 && chown(ud, U1, G1) == 0, "userdir");

	struct shmid_ds ds;
	shm_grp = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0660);
	shm_other = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0660);
	CHECK(shm_grp >= 0 && shm_other >= 0, "shmget");
	CHECK(shmctl(shm_grp, IPC_STAT, &ds) == 0, "IPC_STAT");
	ds.shm_perm.gid = G_SUPP;
	CHECK(shmctl(shm_grp, IPC_SET, &ds) == 0, "IPC_SET gid");
	ds.shm_perm.gid = G_OTHER;
	CHECK(shmctl(shm_other, IPC_SET, &ds) == 0, "IPC_SET gid");

	int st = run_in_child(id_rules, NULL);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "id rules: status 0x%x", st);
	st = run_in_child(groups_child, NULL);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "groups: status 0x%x", st);
	st = run_in_child(access_real, NULL);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "access: status 0x%x", st);

	/* kill between users: a U1 process cannot be signalled by U2. */
	fflush(NULL);
	pid_t victim = fork();
	CHECK(victim >= 0, "fork");
	if (victim == 0) {
		if (xsetresuid(U1, U1, U1))
			_exit(9);
		setpgid(0, 0);
		for (;;)
			pause();
	}
	usleep(20000);
	st = run_in_child(kill_other, (void *)(long)victim);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "kill: status 0x%x", st);
	CHECK(kill(victim, SIGKILL) == 0, "root kills anyone");
	CHECK(waitpid(victim, &st, 0) == victim && WIFSIGNALED(st), "victim killed");

	shmctl(shm_grp, IPC_RMID, NULL);
	shmctl(shm_other, IPC_RMID, NULL);
	CHECK(nftw(base, rm_one, 8, FTW_DEPTH | FTW_PHYS) == 0, "cleanup");
	return 0;
}
