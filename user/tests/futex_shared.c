/* Shared futexes across fork in a MAP_SHARED|MAP_ANONYMOUS page: a child
 * sleeps with FUTEX_WAIT and the parent wakes it through its own mapping;
 * a FUTEX_PRIVATE_FLAG wake from the parent does not reach it. Also
 * FUTEX_WAIT interrupted by a signal handler gives EINTR. */
#include "futex_common.h"
#include <sys/mman.h>

static void on_usr1(int sig) { (void)sig; }

int main(void)
{
	uint32_t *w = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa;
	int status;
	pid_t pid;
	long r;

	CHECK(w != MAP_FAILED, "mmap");
	w[1024] = 0; /* second page */
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		r = futex(&w[1024], FUTEX_WAIT, 0, NULL, NULL, 0);
		_exit(r == 0 && w[1024] == 1 ? 0 : 3);
	}
	wait_for_sleepers(&w[1024], 0, 1);
	CHECK(futex(&w[1024], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0) == 0,
	      "a private wake reached another process");
	w[1024] = 1;
	CHECK((r = futex(&w[1024], FUTEX_WAKE, 1, NULL, NULL, 0)) == 1, "shared wake: %ld", r);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);

	/* EINTR: a handler without SA_RESTART interrupts the wait. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	w[0] = 0;
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		errno = 0;
		r = futex(&w[0], FUTEX_WAIT, 0, NULL, NULL, 0);
		_exit(r == -1 && errno == EINTR ? 0 : 4);
	}
	wait_for_sleepers(&w[0], 0, 1);
	CHECK(kill(pid, SIGUSR1) == 0, "kill");
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "EINTR child status 0x%x", status);
	return 0;
}
