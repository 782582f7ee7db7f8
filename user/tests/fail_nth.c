/*
 * Per-task fault injection, Linux's /proc/PID/task/TID/fail-nth (needs a
 * kernel that has it: exits 77 where /proc/self/fail-nth is missing, as on
 * a Linux built without CONFIG_FAULT_INJECTION):
 *   - it reads 0 when nothing is armed; N written reads back N (less what
 *     the read itself used), 0 disarms; junk, a sign or more than 32 bits
 *     is EINVAL or ERANGE
 *   - fail-nth = 1, 2, 3... over pipe(): each injected failure is an errno
 *     (or retried), the count reads 0 once it fired, no descriptor leaks,
 *     and past the last injectable operation the call succeeds
 *   - it belongs to one thread: armed on a second thread through
 *     /proc/self/task/TID/fail-nth, the first thread's calls do not fail,
 *     the second thread's next one does
 *   - /proc/thread-self is PID/task/TID, /proc/self/task lists the threads,
 *     a tid of another process is not in it
 * All in a child: the test may run as pid 1.
 */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define SWEEP_MAX 200

static void nth_write(int fd, const char *text)
{
	CHECK(pwrite(fd, text, strlen(text), 0) == (ssize_t)strlen(text), "write %s to fail-nth",
	      text);
}

/* The count, or -1 when the read itself was the operation that failed. */
static long nth_read(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0 && errno == EFAULT)
		return -1;
	CHECK(n > 0 && buf[n - 1] == '\n', "read fail-nth");
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int lowest_free_fd(void)
{
	int fd = dup(0);
	CHECK(fd >= 0, "dup");
	close(fd);
	return fd;
}

static void test_values(int fd)
{
	CHECK(nth_read(fd) == 0, "nothing armed reads 0");
	errno = 0;
	CHECK(pwrite(fd, "abc", 3, 0) == -1 && errno == EINVAL, "junk: EINVAL");
	CHECK(pwrite(fd, "-1", 2, 0) == -1 && errno == EINVAL, "negative: EINVAL");
	CHECK(pwrite(fd, "4294967296", 10, 0) == -1 && errno == ERANGE, "2^32: ERANGE");
	CHECK(nth_read(fd) == 0, "still 0 after bad writes");
	nth_write(fd, "1000\n");
	long left = nth_read(fd);
	CHECK(left > 990 && left <= 1000, "1000 armed reads %ld", left);
	nth_write(fd, "0");
	CHECK(nth_read(fd) == 0, "0 disarms");
	nth_write(fd, "0x10");
	left = nth_read(fd);
	CHECK(left > 6 && left <= 16, "0x10 armed reads %ld", left);
	nth_write(fd, "0");
}

static void test_sweep(int fd)
{
	int p[2], first = lowest_free_fd(), failures = 0, n;

	/* Fault in what the loop runs, so only pipe() meets the injection. */
	CHECK(pipe(p) == 0, "pipe");
	close(p[0]);
	close(p[1]);
	nth_write(fd, "0");
	(void)nth_read(fd);
	for (n = 1; n <= SWEEP_MAX; n++) {
		char text[16];
		snprintf(text, sizeof(text), "%d", n);
		nth_write(fd, text);
		int r = pipe(p), e = errno;
		long left = nth_read(fd);
		nth_write(fd, "0");
		if (r == 0) {
			close(p[0]);
			close(p[1]);
		} else {
			CHECK(e == ENOMEM || e == EFAULT || e == ENFILE || e == EMFILE,
			      "pipe with fail-nth %d: errno %d", n, e);
			CHECK(left == 0, "pipe failed with fail-nth %d but it reads %ld", n, left);
			failures++;
		}
		CHECK(lowest_free_fd() == first, "fail-nth %d: descriptor leaked", n);
		if (left != 0) /* pipe made fewer than n injectable operations */
			break;
	}
	CHECK(n <= SWEEP_MAX, "pipe still met an injected failure at fail-nth %d", SWEEP_MAX);
	CHECK(failures >= 1, "no injection made pipe fail (swept to %d)", n);
	printf("fail_nth: pipe swept 1..%d, %d failed with an errno\n", n, failures);
}

static _Atomic int thread_go, thread_tid;
static int thread_result = -1, thread_errno;

static void *second_thread(void *arg)
{
	int p[2];

	(void)arg;
	CHECK(pipe(p) == 0, "pipe on the second thread");
	close(p[0]);
	close(p[1]);
	atomic_store(&thread_tid, (int)syscall(SYS_gettid));
	while (!atomic_load(&thread_go))
		; /* no system call while armed */
	thread_result = pipe(p);
	thread_errno = errno;
	if (thread_result == 0) {
		close(p[0]);
		close(p[1]);
	}
	return NULL;
}

static bool task_listed(pid_t tid)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	bool found = false;

	CHECK(d, "opendir /proc/self/task");
	while ((e = readdir(d)))
		if (atoi(e->d_name) == tid)
			found = true;
	closedir(d);
	return found;
}

static void test_threads(void)
{
	char path[64], link[64], want[64];
	pthread_t th;
	int p[2];

	CHECK(pthread_create(&th, NULL, second_thread, NULL) == 0, "pthread_create");
	while (!atomic_load(&thread_tid))
		sched_yield();
	pid_t tid = atomic_load(&thread_tid);
	CHECK(task_listed(getpid()) && task_listed(tid), "/proc/self/task lists both threads");

	ssize_t n = readlink("/proc/thread-self", link, sizeof(link) - 1);
	CHECK(n > 0, "readlink /proc/thread-self");
	link[n] = '\0';
	snprintf(want, sizeof(want), "%d/task/%d", getpid(), (int)syscall(SYS_gettid));
	CHECK(!strcmp(link, want), "/proc/thread-self is %s, want %s", link, want);

	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", tid);
	int fd = open(path, O_RDWR);
	CHECK(fd >= 0, "open %s", path);
	nth_write(fd, "1");
	CHECK(pipe(p) == 0, "the first thread's pipe is not failed");
	close(p[0]);
	close(p[1]);
	CHECK(nth_read(fd) == 1, "the second thread's count untouched");
	atomic_store(&thread_go, 1);
	CHECK(pthread_join(th, NULL) == 0, "pthread_join");
	CHECK(thread_result == -1, "the armed thread's pipe succeeded");
	CHECK(thread_errno == ENOMEM || thread_errno == ENFILE, "armed thread's pipe: errno %d",
	      thread_errno);
	close(fd);
	/* The joined thread may still be on its way out for a moment. */
	for (int i = 0; i < 200 && (fd = open(path, O_RDWR)) >= 0; i++) {
		close(fd);
		usleep(10000);
	}
	CHECK(fd == -1 && errno == ENOENT, "a finished thread's fail-nth is gone");

	/* A thread of another process is not one of ours. */
	pid_t child = fork();
	CHECK(child >= 0, "fork");
	if (child == 0) {
		pause();
		_exit(0);
	}
	snprintf(path, sizeof(path), "/proc/self/task/%d/fail-nth", child);
	CHECK(open(path, O_RDWR) == -1 && errno == ENOENT, "%s: want ENOENT", path);
	CHECK(!task_listed(child), "another process's thread listed");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}

static void all(void *arg)
{
	(void)arg;
	int fd = open("/proc/thread-self/fail-nth", O_RDWR);
	CHECK(fd >= 0, "open /proc/thread-self/fail-nth");
	test_values(fd);
	test_sweep(fd);
	close(fd);
	test_threads();
}

int main(void)
{
	if (access("/proc/self/fail-nth", F_OK) != 0)
		return 77; /* no fault injection in this kernel */
	int status = run_in_child(all, NULL);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	printf("fail_nth: ok\n");
	return 0;
}
