/*
 * SIGCHLD set to SIG_IGN, or SA_NOCLDWAIT (issue 8, item 8): children are
 * reaped as they exit; wait blocks until every child is gone and then fails
 * with ECHILD. Also for a zombie re-parented to a child subreaper that
 * ignores SIGCHLD, and back to normal once SIGCHLD is SIG_DFL again.
 */
#include "common.h"
#include <sys/prctl.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static pid_t child_sleeping(long ms, int code)
{
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		sleep_ms(ms);
		_exit(code);
	}
	return pid;
}

/* wait() blocks until the last child is gone, then fails with ECHILD; no
 * child is left behind (not even a zombie). */
static void expect_autoreap(const char *how)
{
	pid_t kids[3];
	double start = now_ms();
	int status;

	kids[0] = child_sleeping(0, 1);
	kids[1] = child_sleeping(60, 2);
	kids[2] = child_sleeping(120, 3);
	errno = 0;
	pid_t r;
	while ((r = waitpid(-1, &status, 0)) == -1 && errno == EINTR)
		;
	CHECK(r == -1 && errno == ECHILD, "%s: waitpid returned %d (status 0x%x)", how, (int)r,
	      status);
	CHECK(now_ms() - start >= 100, "%s: waitpid did not wait for the children (%.0f ms)", how,
	      now_ms() - start);
	for (int i = 0; i < 3; i++)
		CHECK(kill(kids[i], 0) == -1 && errno == ESRCH, "%s: child %d is still there", how,
		      (int)kids[i]);
}

static volatile sig_atomic_t handled;

static void on_sigchld(int sig)
{
	(void)sig;
	handled++;
}

/* A zombie grandchild re-parented to us (a subreaper ignoring SIGCHLD) is
 * reaped at once too. */
static void reparented_zombie(void)
{
	int fds[2];
	pid_t child, g = 0;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
		/* qemu-user (7.2) does not pass this prctl on. */
		CHECK(under_qemu_user() && errno == EINVAL, "PR_SET_CHILD_SUBREAPER");
		return;
	}
	CHECK(pipe(fds) == 0, "pipe");
	fflush(NULL);
	child = fork();
	CHECK(child >= 0, "fork");
	if (child == 0) {
		signal(SIGCHLD, SIG_DFL); /* keep the grandchild a zombie */
		g = fork();
		if (g == 0)
			_exit(0);
		sleep_ms(30); /* it is a zombie now */
		(void)!write(fds[1], &g, sizeof(g));
		_exit(0);
	}
	close(fds[1]);
	CHECK(read(fds[0], &g, sizeof(g)) == sizeof(g) && g > 0, "read pid");
	close(fds[0]);
	pid_t r;
	while ((r = waitpid(-1, NULL, 0)) == -1 && errno == EINTR)
		;
	CHECK(r == -1 && errno == ECHILD, "waitpid returned %d", (int)r);
	/* Linux releases the re-parented zombie just after the child is gone
	 * from our list (after dropping its lock): give it a moment. */
	for (int i = 0; i < 100 && (kill(child, 0) == 0 || kill(g, 0) == 0); i++)
		sleep_ms(10);
	errno = 0;
	CHECK(kill(child, 0) == -1 && errno == ESRCH, "child is still there");
	errno = 0;
	CHECK(kill(g, 0) == -1 && errno == ESRCH, "re-parented zombie %d is still there", (int)g);
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) == 0, "subreaper off");
}

int main(void)
{
	struct sigaction sa;
	int status;

	CHECK(signal(SIGCHLD, SIG_IGN) != SIG_ERR, "signal");
	expect_autoreap("SIG_IGN");
	reparented_zombie();

	/* qemu-user catches SIGCHLD itself: the host never sees SA_NOCLDWAIT. */
	if (under_qemu_user())
		goto back_to_normal;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;
	sa.sa_flags = SA_NOCLDWAIT | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGCHLD, &sa, NULL) == 0, "sigaction");
	expect_autoreap("SA_NOCLDWAIT");
	CHECK(handled >= 1, "SA_NOCLDWAIT: no SIGCHLD handler call");

back_to_normal:
	/* Back to normal: a zombie waits for us. */
	CHECK(signal(SIGCHLD, SIG_DFL) != SIG_ERR, "signal");
	pid_t c = child_sleeping(0, 9);
	sleep_ms(20);
	CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 9,
	      "status 0x%x", status);
	return 0;
}
