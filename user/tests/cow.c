/*
 * Copy-on-write after fork: writes by the child (data, bss, heap, stack)
 * are not seen by the parent, and writes by the parent are not seen by the
 * child.
 */
#include "common.h"
#include <time.h>

static int data_var = 1111;
static int bss_var;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int main(void)
{
	int stack_var = 3333;
	int *heap = malloc(64 * 1024);
	int status;

	CHECK(heap, "malloc");
	for (int i = 0; i < 16 * 1024; i++)
		heap[i] = i;
	bss_var = 2222;

	/* Child writes; parent keeps its values. */
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		data_var = -1;
		bss_var = -2;
		stack_var = -3;
		for (int i = 0; i < 16 * 1024; i++)
			heap[i] = -i;
		if (data_var != -1 || bss_var != -2 || stack_var != -3 || heap[100] != -100)
			_exit(1);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	CHECK(data_var == 1111, "parent data_var %d after child write", data_var);
	CHECK(bss_var == 2222, "parent bss_var %d after child write", bss_var);
	CHECK(stack_var == 3333, "parent stack_var %d after child write", stack_var);
	for (int i = 0; i < 16 * 1024; i++)
		CHECK(heap[i] == i, "parent heap[%d] = %d after child write", i, heap[i]);

	/* Parent writes while the child waits; the child keeps its values. */
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		sleep_ms(100);
		if (data_var != 1111)
			_exit(2);
		if (bss_var != 2222)
			_exit(3);
		if (stack_var != 3333)
			_exit(4);
		for (int i = 0; i < 16 * 1024; i++)
			if (heap[i] != i)
				_exit(5);
		_exit(0);
	}
	data_var = 7;
	bss_var = 8;
	stack_var = 9;
	for (int i = 0; i < 16 * 1024; i++)
		heap[i] = 0;
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child saw the parent's writes: status 0x%x (2 data, 3 bss, 4 stack, 5 heap)", status);

	/* Many forks of the same pages, each child writing: still isolated. */
	for (int n = 0; n < 8; n++) {
		pid = fork();
		CHECK(pid >= 0, "fork #%d", n);
		if (pid == 0) {
			data_var = 100 + n;
			_exit(data_var == 100 + n && heap[5] == 0 ? 0 : 1);
		}
		CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "fork #%d child status 0x%x", n, status);
	}
	CHECK(data_var == 7, "parent data_var %d", data_var);
	free(heap);
	return 0;
}
