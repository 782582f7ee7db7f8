/*
 * Exit signals and init (issue 8, item 1).
 *
 * A child made by clone() with an exit signal other than SIGCHLD that is
 * orphaned gets SIGCHLD as its exit signal when it is re-parented: its new
 * parent (a child subreaper here, init otherwise) never asked for another
 * one, and a SIGPROF would kill it. A CLONE_PARENT child tells its parent
 * with the caller's own exit signal, not the one given to clone. Inside
 * Ferrite, where the runner is init (pid 1): an orphan with a SIGPROF exit
 * signal is re-parented to init and init survives, and signals init has no
 * handler for (SIGKILL too) are not delivered to it.
 */
#include "common.h"
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>

static int running_on_ferrite(void)
{
	struct utsname u;
	return uname(&u) == 0 && strstr(u.release, "ferrite") != NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A fork-like raw clone with exit signal sig (and extra flags). */
static pid_t clone_with(unsigned long flags)
{
	fflush(NULL);
	return (pid_t)syscall(SYS_clone, flags, 0, 0, 0, 0);
}

/* Wait until pid is gone for good (reaped by someone else): 0, or -1 after
 * a few seconds. */
static int wait_gone(pid_t pid)
{
	for (int i = 0; i < 500; i++) {
		if (kill(pid, 0) == -1 && errno == ESRCH)
			return 0;
		sleep_ms(10);
	}
	return -1;
}

/*
 * Fork a child that clones a grandchild with exit signal SIGPROF and exits
 * at once; the grandchild waits until it is orphaned, then exits with 7.
 * Return the grandchild's pid, or 0 when clone with that exit signal is
 * refused (qemu-user).
 */
static pid_t orphan_with_sigprof(void)
{
	int fds[2], status;
	pid_t child, grandchild = 0;

	CHECK(pipe(fds) == 0, "pipe");
	fflush(NULL);
	child = fork();
	CHECK(child >= 0, "fork");
	if (child == 0) {
		pid_t me = getpid();
		pid_t g = clone_with(SIGPROF);
		if (g == 0) {
			for (int i = 0; i < 1000 && getppid() == me; i++)
				sleep_ms(2);
			_exit(getppid() == me ? 3 : 7);
		}
		if (g < 0)
			g = 0;
		(void)!write(fds[1], &g, sizeof(g));
		_exit(0);
	}
	close(fds[1]);
	CHECK(read(fds[0], &grandchild, sizeof(grandchild)) == sizeof(grandchild), "read pid");
	close(fds[0]);
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child status 0x%x", status);
	return grandchild;
}

static volatile sig_atomic_t sigchld_count;

static void on_sigchld(int sig)
{
	(void)sig;
	sigchld_count++;
}

/* An orphan re-parented to us (a child subreaper) tells us with SIGCHLD;
 * SIGPROF (default action: terminate) would kill this test. */
static void orphan_to_subreaper(void)
{
	int status, on = -1;
	pid_t g;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
		/* qemu-user (7.2) does not pass this prctl on. */
		CHECK(under_qemu_user() && errno == EINVAL, "PR_SET_CHILD_SUBREAPER");
		return;
	}
	CHECK(prctl(PR_GET_CHILD_SUBREAPER, &on, 0, 0, 0) == 0 && on == 1,
	      "PR_GET_CHILD_SUBREAPER: %d", on);
	signal(SIGCHLD, on_sigchld);
	g = orphan_with_sigprof();
	if (!g) {
		CHECK(under_qemu_user(), "clone(SIGPROF) refused");
		return;
	}
	/* Its exit signal is SIGCHLD now, so a plain waitpid (no __WCLONE)
	 * finds it, as on Linux. */
	while (waitpid(g, &status, 0) < 0)
		CHECK(errno == EINTR, "waitpid(grandchild %d)", (int)g);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7, "grandchild status 0x%x", status);
	CHECK(sigchld_count >= 1, "no SIGCHLD from the re-parented orphan");
	signal(SIGCHLD, SIG_DFL);
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) == 0, "subreaper off");
}

/* A CLONE_PARENT child is our sibling's: its parent hears of it with our
 * own exit signal (SIGCHLD), not the SIGPROF given to clone. */
static void clone_parent_signal(void)
{
	int fds[2], status;
	pid_t child, sib = 0;

	CHECK(pipe(fds) == 0, "pipe");
	fflush(NULL);
	child = fork();
	CHECK(child >= 0, "fork");
	if (child == 0) {
		pid_t s = clone_with(CLONE_PARENT | SIGPROF);
		if (s == 0)
			_exit(5);
		if (s < 0)
			s = 0;
		(void)!write(fds[1], &s, sizeof(s));
		_exit(0);
	}
	close(fds[1]);
	CHECK(read(fds[0], &sib, sizeof(sib)) == sizeof(sib), "read pid");
	close(fds[0]);
	CHECK(waitpid(child, &status, 0) == child, "waitpid(child)");
	if (!sib) {
		CHECK(under_qemu_user(), "clone(CLONE_PARENT) refused");
		return;
	}
	/* Ours, waitable without __WCLONE: its exit signal is SIGCHLD. */
	CHECK(waitpid(sib, &status, 0) == sib, "waitpid(CLONE_PARENT child %d)", (int)sib);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5, "sibling status 0x%x", status);
}

/* A clone child with another exit signal is waited for with __WCLONE or
 * __WALL only (Linux's eligible_child). */
static void wclone_rule(void)
{
	int status;
	pid_t c;

	signal(SIGUSR1, SIG_IGN); /* the child's exit signal */
	c = clone_with(SIGUSR1);
	if (c < 0) {
		CHECK(under_qemu_user(), "clone(SIGUSR1)");
		return;
	}
	if (c == 0)
		_exit(4);
	sleep_ms(20);
	CHECK_ERRNO(waitpid(c, &status, WNOHANG), ECHILD);
	CHECK(waitpid(c, &status, __WCLONE) == c, "waitpid(__WCLONE)");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 4, "clone child status 0x%x", status);
	signal(SIGUSR1, SIG_DFL);
}

/* Inside Ferrite, the runner is init: an orphan with exit signal SIGPROF
 * ends up there, and signals init has no handler for do not reach it. */
static void init_survives(void)
{
	pid_t g = orphan_with_sigprof();

	CHECK(g > 0, "clone(SIGPROF)");
	CHECK(wait_gone(g) == 0, "init did not reap orphan %d", (int)g);
	CHECK(kill(1, 0) == 0, "init is gone");
	CHECK(kill(1, SIGPROF) == 0 && kill(1, SIGTERM) == 0 && kill(1, SIGUSR1) == 0,
	      "kill(1, ...)");
	CHECK(kill(1, SIGSTOP) == 0 && kill(1, SIGKILL) == 0, "kill(1, SIGSTOP/SIGKILL)");
	sleep_ms(50);
	CHECK(kill(1, 0) == 0, "init is gone");
}

int main(void)
{
	clone_parent_signal();
	wclone_rule();
	orphan_to_subreaper();
	if (running_on_ferrite() && getppid() == 1)
		init_survives();
	return 0;
}
