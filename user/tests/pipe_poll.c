/*
 * poll and select on pipes: empty/non-empty readiness, POLLOUT while there
 * is room, POLLHUP once the writer closes, POLLERR once the reader closes,
 * timeout 0 returns at once, a timed wait lasts about its timeout, and a
 * wait is woken by a writer in another process.
 */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/select.h>
#include <time.h>

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void)
{
	int p[2], status;
	struct pollfd pf[2];
	struct timespec t0;
	char c;

	alarm(30);
	CHECK(pipe(p) == 0, "pipe");
	pf[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = p[1], .events = POLLOUT };
	CHECK(poll(pf, 2, 0) == 1, "poll: only the write end ready");
	CHECK(pf[0].revents == 0 && pf[1].revents == POLLOUT, "revents %x %x", pf[0].revents, pf[1].revents);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(poll(pf, 1, 100) == 0, "timed poll on an empty pipe");
	long el = ms_since(&t0);
	CHECK(el >= 90 && el < 2000, "poll(100ms) took %ld ms", el);

	CHECK(write(p[1], "a", 1) == 1, "write");
	CHECK(poll(pf, 1, 0) == 1 && (pf[0].revents & POLLIN), "POLLIN after write");

	fd_set rd, wr;
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(p[0], &rd);
	FD_SET(p[1], &wr);
	struct timeval tv = { 0, 0 };
	CHECK(select(p[1] + 1, &rd, &wr, NULL, &tv) == 2, "select both ready");
	CHECK(FD_ISSET(p[0], &rd) && FD_ISSET(p[1], &wr), "select sets");
	CHECK(read(p[0], &c, 1) == 1, "read");
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	tv = (struct timeval){ 0, 50 * 1000 };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(select(p[0] + 1, &rd, NULL, NULL, &tv) == 0, "select timeout");
	el = ms_since(&t0);
	CHECK(el >= 40 && el < 2000, "select(50ms) took %ld ms", el);

	/* A blocked poll is woken by another process's write. */
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		usleep(50 * 1000);
		write(p[1], "b", 1);
		_exit(0);
	}
	pf[0].revents = 0;
	CHECK(poll(pf, 1, 10000) == 1 && (pf[0].revents & POLLIN), "woken by the child");
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(read(p[0], &c, 1) == 1 && c == 'b', "read b");

	/* Full pipe: no POLLOUT. */
	int fl = fcntl(p[1], F_GETFL);
	fcntl(p[1], F_SETFL, fl | O_NONBLOCK);
	static char big[65536];
	while (write(p[1], big, sizeof(big)) > 0)
		;
	CHECK(poll(&pf[1], 1, 0) == 0, "full pipe polled writable");

	/* Writer closed: POLLHUP (after the data is gone too). */
	close(p[1]);
	CHECK(poll(pf, 1, 0) == 1 && (pf[0].revents & POLLHUP), "POLLHUP, revents %x", pf[0].revents);
	while (read(p[0], big, sizeof(big)) > 0)
		;
	CHECK(poll(pf, 1, 0) == 1 && pf[0].revents == POLLHUP, "POLLHUP alone, revents %x", pf[0].revents);
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	tv = (struct timeval){ 0, 0 };
	CHECK(select(p[0] + 1, &rd, NULL, NULL, &tv) == 1, "select readable at EOF");
	close(p[0]);

	/* Reader closed: the write end polls POLLERR. */
	CHECK(pipe(p) == 0, "pipe");
	close(p[0]);
	pf[1] = (struct pollfd){ .fd = p[1], .events = POLLOUT };
	CHECK(poll(&pf[1], 1, 0) == 1 && (pf[1].revents & POLLERR), "POLLERR, revents %x", pf[1].revents);
	close(p[1]);

	/* A closed descriptor: POLLNVAL. */
	pf[0] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	CHECK(poll(pf, 1, 0) == 1 && pf[0].revents == POLLNVAL, "POLLNVAL, revents %x", pf[0].revents);
	return 0;
}
