/*
 * Interrupted syscalls: wait4 restarts under SA_RESTART and fails with
 * EINTR without it; nanosleep fails with EINTR and the time left. The
 * signal comes from a child after a delay.
 */
#include "common.h"
#include <time.h>

static volatile sig_atomic_t hits;

static void on_usr1(int signo)
{
	(void)signo;
	hits++;
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

/* A child that signals us after 100 ms and exits after exit_ms. */
static pid_t poke_later(int exit_ms)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		sleep_ms(100);
		kill(parent, SIGUSR1);
		sleep_ms(exit_ms);
		_exit(7);
	}
	return pid;
}

static void set_handler(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = flags;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
}

int main(void)
{
	int status;
	pid_t pid;

	set_handler(SA_RESTART);
	pid = poke_later(200);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid under SA_RESTART");
	CHECK(hits == 1, "handler ran %d times", (int)hits);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7, "status 0x%x", status);

	set_handler(0);
	pid = poke_later(200);
	errno = 0;
	CHECK(waitpid(pid, &status, 0) == -1 && errno == EINTR, "waitpid without SA_RESTART");
	CHECK(hits == 2, "handler ran %d times", (int)hits);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid again");

	set_handler(SA_RESTART);
	pid = poke_later(0);
	struct timespec req = { 5, 0 }, rem = { 0, 0 };
	errno = 0;
	CHECK(nanosleep(&req, &rem) == -1 && errno == EINTR, "nanosleep not interrupted");
	CHECK(rem.tv_sec >= 3 && rem.tv_sec <= 5, "remaining %ld s", (long)rem.tv_sec);
	CHECK(hits == 3, "handler ran %d times", (int)hits);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid last");
	printf("signal_restart: ok\n");
	return 0;
}
