/*
 * Resource limits with Linux's rules: getrlimit/setrlimit/prlimit64
 * (cur > max is EINVAL, raising the hard limit unprivileged is EPERM,
 * another user's process is EPERM), RLIMIT_NOFILE (EMFILE, dup2/F_DUPFD
 * past it), RLIMIT_AS and RLIMIT_DATA (mmap, brk: ENOMEM), RLIMIT_NPROC
 * (fork: EAGAIN, per real user), RLIMIT_MEMLOCK (mlock ENOMEM, MAP_LOCKED
 * EAGAIN, limit 0 EPERM), RLIMIT_CORE accepted. Runs as root; exits 77
 * elsewhere.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

/* A user of its own per run: leftovers of another run cannot count. */
static uid_t U;
#define MiB (1UL << 20)

static void set_lim(int res, rlim_t cur, rlim_t max)
{
	struct rlimit r = { cur, max };
	CHECK(setrlimit(res, &r) == 0, "setrlimit(%d, %lu, %lu)", res, (unsigned long)cur,
	      (unsigned long)max);
}

static void become_user(void)
{
	CHECK(syscall(SYS_setresgid, U, U, U) == 0 && syscall(SYS_setresuid, U, U, U) == 0,
	      "drop to %u", U);
}

static void rules(void *arg)
{
	(void)arg;
	struct rlimit r = { 100, 50 };
	CHECK_ERRNO(setrlimit(RLIMIT_NOFILE, &r), EINVAL);
	CHECK_ERRNO(syscall(SYS_prlimit64, 0, 9999, NULL, &r), EINVAL);
	set_lim(RLIMIT_CORE, 0, 0); /* accepted */
	set_lim(RLIMIT_NOFILE, 64, 128);
	become_user();
	r.rlim_cur = 64, r.rlim_max = 256;
	CHECK_ERRNO(setrlimit(RLIMIT_NOFILE, &r), EPERM); /* raise hard: root only */
	set_lim(RLIMIT_NOFILE, 128, 128);                 /* soft up to hard: fine */
	set_lim(RLIMIT_NOFILE, 16, 100);                  /* lowering hard: fine */
	r.rlim_cur = r.rlim_max = 128;
	CHECK_ERRNO(setrlimit(RLIMIT_NOFILE, &r), EPERM); /* and it stays lowered */
	/* Another user's process. */
	CHECK_ERRNO(syscall(SYS_prlimit64, getppid(), RLIMIT_NOFILE, NULL, &r), EPERM);
	CHECK(syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, NULL, &r) == 0 && r.rlim_cur == 16,
	      "prlimit of oneself");
	/* RLIMIT_NOFILE */
	int last = -1;
	for (;;) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0) {
			CHECK(errno == EMFILE, "open past the limit: errno %d", errno);
			break;
		}
		last = fd;
	}
	CHECK(last == 15, "last descriptor %d", last);
	close(last);
	CHECK_ERRNO(dup2(0, 16), EBADF);
	CHECK_ERRNO(fcntl(0, F_DUPFD, 16), EINVAL);
	CHECK(dup2(0, 15) == 15, "dup2 below the limit");
}

static void as_data(void *arg)
{
	(void)arg;
	set_lim(RLIMIT_AS, 256 * MiB, RLIM_INFINITY);
	void *p = mmap(NULL, 512 * MiB, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p == MAP_FAILED && errno == ENOMEM, "512 MiB under a 256 MiB RLIMIT_AS");
	p = mmap(NULL, 8 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "8 MiB under RLIMIT_AS");
	void *q = mremap(p, 8 * MiB, 512 * MiB, MREMAP_MAYMOVE);
	CHECK(q == MAP_FAILED && errno == ENOMEM, "mremap growth past RLIMIT_AS");
	munmap(p, 8 * MiB);
	set_lim(RLIMIT_AS, RLIM_INFINITY, RLIM_INFINITY);

	set_lim(RLIMIT_DATA, 32 * MiB, RLIM_INFINITY);
	errno = 0;
	CHECK(sbrk(64 * MiB) == (void *)-1 && errno == ENOMEM, "brk past RLIMIT_DATA");
	CHECK(sbrk(1 * MiB) != (void *)-1, "brk within RLIMIT_DATA");
	p = mmap(NULL, 64 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p == MAP_FAILED && errno == ENOMEM, "private writable mmap past RLIMIT_DATA");
	p = mmap(NULL, 64 * MiB, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "read-only mappings are not data");
	munmap(p, 64 * MiB);
	p = mmap(NULL, 64 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "shared mappings are not data");
	munmap(p, 64 * MiB);
}

static void nproc(void *arg)
{
	(void)arg;
	become_user();
	set_lim(RLIMIT_NPROC, 3, 3);
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		CHECK(kids[i] >= 0, "fork %d under RLIMIT_NPROC 3", i);
		if (kids[i] == 0) {
			alarm(10); /* never outlive a failed run for long */
			pause();
			_exit(0);
		}
	}
	errno = 0;
	pid_t k = fork();
	if (k == 0)
		_exit(0);
	CHECK(k == -1 && errno == EAGAIN, "fourth task of the user: %d", (int)k);
	for (int i = 0; i < 2; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	k = fork();
	CHECK(k >= 0, "fork once the others are reaped");
	if (k == 0)
		_exit(0);
	waitpid(k, NULL, 0);
}

static void memlock(void *arg)
{
	(void)arg;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	char *buf = mmap(NULL, 64 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(buf != MAP_FAILED, "mmap");
	/* root (CAP_IPC_LOCK) may pass the limit */
	set_lim(RLIMIT_MEMLOCK, 4 * pg, 4 * pg);
	CHECK(mlock(buf, 16 * pg) == 0, "root mlock past the limit");
	CHECK(munlock(buf, 16 * pg) == 0, "munlock");
	become_user();
	CHECK(mlock(buf, 2 * pg) == 0, "mlock within RLIMIT_MEMLOCK");
	CHECK(mlock(buf, 2 * pg) == 0, "locking locked pages again costs nothing");
	CHECK_ERRNO(mlock(buf + 2 * pg, 4 * pg), ENOMEM);
	CHECK(mlock(buf + 2 * pg, 2 * pg) == 0, "up to the limit");
	CHECK_ERRNO(mlockall(MCL_CURRENT), ENOMEM);
	CHECK_ERRNO(mlockall(0), EINVAL);
	CHECK_ERRNO(mlockall(MCL_ONFAULT), EINVAL);
	if (!under_qemu_user()) {
		void *p = mmap(NULL, 8 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1,
			       0);
		CHECK(p == MAP_FAILED && errno == EAGAIN, "MAP_LOCKED past RLIMIT_MEMLOCK");
	}
	CHECK(munlock(buf, 4 * pg) == 0, "munlock");
	CHECK(munlockall() == 0, "munlockall");
	CHECK(mlock(buf, 4 * pg) == 0, "the count went down");
	CHECK_ERRNO(mlock(buf + 8 * pg, 0x7fffffffffff000UL), ENOMEM);
	set_lim(RLIMIT_MEMLOCK, 0, 0);
	CHECK_ERRNO(mlock(buf, pg), EPERM);
	CHECK_ERRNO(mlockall(MCL_CURRENT), EPERM);
}

static void run(void (*fn)(void *), const char *what)
{
	int st = run_in_child(fn, NULL);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status 0x%x", what, st);
}

int main(void)
{
	if (getuid() != 0 || geteuid() != 0)
		return 77;
	U = 40000 + (uid_t)getpid() % 20000;
	run(rules, "rules and RLIMIT_NOFILE");
	/* qemu-user keeps RLIMIT_AS/DATA to itself (the guest's never reach
	 * Linux): native Linux and Ferrite check those. */
	if (!under_qemu_user())
		run(as_data, "RLIMIT_AS and RLIMIT_DATA");
	/* qemu-user's own helper thread counts as a task of the user. */
	if (!under_qemu_user())
		run(nproc, "RLIMIT_NPROC");
	run(memlock, "RLIMIT_MEMLOCK");
	return 0;
}
