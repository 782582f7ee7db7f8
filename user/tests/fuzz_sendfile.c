/*
 * Found by sysfuzz (docs/reliability.md): sendfile copies up to 2 GiB in
 * one call, a page at a time; sendfile(fd, fd, ...) on a regular file
 * grows the file as it goes. The loop ran without letting anyone else run
 * and without looking at signals, so the machine froze until memory ran
 * out. Now a signal ends the copy (partial count, or EINTR), and SIGKILL
 * reaches a task inside it.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <time.h>

#define COUNT 0x7ffff000ul

/* A regular file of one page, sent to itself: it grows as the copy goes.
 * RLIMIT_FSIZE keeps that bounded where it is enforced (SIGXFSZ ignored:
 * the write then fails with EFBIG). */
static int self_sender(const char *path)
{
	struct rlimit lim = { 64 << 20, 64 << 20 };
	char page[4096];
	setrlimit(RLIMIT_FSIZE, &lim);
	signal(SIGXFSZ, SIG_IGN);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0, "open %s", path);
	memset(page, 'x', sizeof(page));
	CHECK(write(fd, page, sizeof(page)) == sizeof(page), "write");
	unlink(path);
	return fd;
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* A handled signal ends a long sendfile soon (Linux may finish first). */
static void interrupted(void)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/fuzz_sendfile.%d", (int)getpid());
	int fd = self_sender(path);
	struct sigaction sa = { .sa_handler = on_usr1 }; /* no SA_RESTART */
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	pid_t parent = getpid();

	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		usleep(100 * 1000);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	double t0 = monotonic_seconds();
	off_t off = 0;
	ssize_t n = sendfile(fd, fd, &off, COUNT);
	double took = monotonic_seconds() - t0;
	CHECK(n > 0 || (n == -1 && errno == EINTR), "sendfile returned %zd", n);
	CHECK(took < 1.5, "sendfile went on %.2f s after the signal (returned %zd)", took, n);
	/* When the copy ended first, the signal may interrupt this wait. */
	pid_t got;
	while ((got = waitpid(pid, NULL, 0)) == -1 && errno == EINTR)
		;
	CHECK(got == pid, "waitpid");
	close(fd);
}

/* SIGKILL reaches a task copying, and the sender gets the CPU to send it. */
static void killed(void)
{
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		char path[64];
		snprintf(path, sizeof(path), "/tmp/fuzz_sendfile.%d", (int)getpid());
		int fd = self_sender(path);
		for (;;) {
			off_t off = 0;
			sendfile(fd, fd, &off, COUNT);
			ftruncate(fd, 4096);
		}
	}
	double t0 = monotonic_seconds();
	usleep(100 * 1000);
	CHECK(kill(pid, SIGKILL) == 0, "kill");
	int status;
	pid_t got;
	while ((got = waitpid(pid, &status, WNOHANG)) == 0 && monotonic_seconds() - t0 < 5)
		usleep(10 * 1000);
	CHECK(got == pid, "the child copying is still there %.2f s after SIGKILL", monotonic_seconds() - t0);
	expect_killed_by(status, SIGKILL, "sendfile child");
	CHECK(monotonic_seconds() - t0 < 1.5, "SIGKILL took %.2f s to end the copy", monotonic_seconds() - t0);
}

int main(void)
{
	interrupted();
	killed();
	return 0;
}
