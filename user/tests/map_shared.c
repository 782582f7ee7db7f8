/*
 * MAP_SHARED|MAP_ANONYMOUS memory is shared across fork in both directions,
 * while MAP_PRIVATE memory is not.
 */
#include "common.h"
#include <sys/mman.h>
#include <time.h>

int main(void)
{
	volatile int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	volatile int *private = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int status;

	CHECK(shared != MAP_FAILED && private != MAP_FAILED, "mmap");
	shared[0] = 1;
	private[0] = 1;

	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		if (shared[0] != 1 || private[0] != 1)
			_exit(2);
		shared[0] = 0x1234;
		shared[1000] = 0x5678;
		private[0] = 0x999;
		/* Wait (bounded) for the parent's answer through the shared page. */
		for (int i = 0; i < 500 && shared[1] != 0xabcd; i++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		_exit(shared[1] == 0xabcd ? 0 : 3);
	}
	for (int i = 0; i < 500 && shared[0] != 0x1234; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	CHECK(shared[0] == 0x1234, "child's write to shared memory not seen (%#x)", shared[0]);
	shared[1] = 0xabcd;
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child status 0x%x (2 = bad initial values, 3 = parent's write not seen)", status);
	CHECK(shared[1000] == 0x5678, "second shared word %#x", shared[1000]);
	CHECK(private[0] == 1, "private page changed by the child: %#x", private[0]);

	/* Still shared after the child is gone and with a grandchild. */
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			shared[2] = 77;
			_exit(0);
		}
		waitpid(g, NULL, 0);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(shared[2] == 77, "grandchild's write not seen (%d)", shared[2]);
	CHECK(munmap((void *)shared, 4096) == 0, "munmap shared");
	return 0;
}
