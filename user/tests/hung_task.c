/*
 * Issue 13: the kernel's hung-task detector (src/proc/hung_task.c). A task
 * asleep uninterruptibly in the kernel for longer than
 * /proc/sys/kernel/hung_task_timeout_secs is reported on the console and in
 * the kernel log ("INFO: hung task: tid T ..."); an interruptible sleep of
 * the same length is not. The uninterruptible sleep comes from
 * /proc/ferrite/selftest "hung-task", so the test needs Ferrite (77
 * elsewhere) and root.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/klog.h>
#include <sys/wait.h>

#define TIMEOUT_PATH "/proc/sys/kernel/hung_task_timeout_secs"
#define LOG_READ_ALL 3
#define LOG_SIZE_BUFFER 10

static void write_text(const char *path, const char *text, int want_errno)
{
	int fd = open(path, O_WRONLY);
	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	ssize_t n = write(fd, text, strlen(text));
	if (want_errno)
		CHECK(n < 0 && errno == want_errno, "write \"%s\" to %s: %zd (%s), want errno %d",
		      text, path, n, strerror(errno), want_errno);
	else
		CHECK(n == (ssize_t)strlen(text), "write \"%s\" to %s: %s", text, path,
		      strerror(errno));
	close(fd);
}

/* Count kernel-log lines reporting tid as hung. */
static int reports_for(pid_t tid)
{
	int size = klogctl(LOG_SIZE_BUFFER, NULL, 0);
	CHECK(size > 0, "klogctl size: %s", strerror(errno));
	char *buf = malloc((size_t)size + 1);
	CHECK(buf, "malloc");
	int n = klogctl(LOG_READ_ALL, buf, size);
	CHECK(n >= 0, "klogctl read: %s", strerror(errno));
	buf[n] = '\0';
	char needle[64];
	snprintf(needle, sizeof(needle), "hung task: tid %d ", (int)tid);
	int count = 0;
	for (char *p = buf; (p = strstr(p, needle)); p += strlen(needle))
		count++;
	free(buf);
	return count;
}

int main(void)
{
	if (access("/proc/ferrite/selftest", F_OK) != 0)
		return 77;
	char old[32] = "120";
	int fd = open(TIMEOUT_PATH, O_RDONLY);
	CHECK(fd >= 0, "open " TIMEOUT_PATH ": %s", strerror(errno));
	ssize_t n = read(fd, old, sizeof(old) - 1);
	CHECK(n > 0, "read " TIMEOUT_PATH);
	old[n] = '\0';
	close(fd);
	CHECK(atoi(old) == 120, "default timeout %s, want Linux's 120", old);
	write_text(TIMEOUT_PATH, "-1", EINVAL);
	write_text(TIMEOUT_PATH, "two", EINVAL);
	write_text(TIMEOUT_PATH, "2", 0);

	/* The child sleeps uninterruptibly for 4 s, the parent interruptibly. */
	pid_t child = fork();
	CHECK(child >= 0, "fork");
	if (child == 0) {
		write_text("/proc/ferrite/selftest", "hung-task", 0);
		_exit(0);
	}
	sleep(5);
	int status;
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && !WEXITSTATUS(status),
	      "selftest child status %#x", status);
	write_text(TIMEOUT_PATH, old, 0);

	CHECK(reports_for(child) == 1, "the uninterruptible sleeper reported %d times, want 1",
	      reports_for(child));
	CHECK(reports_for(getpid()) == 0, "an interruptible sleep was reported");
	/* Off: the selftest refuses (nothing would report it). */
	write_text(TIMEOUT_PATH, "0", 0);
	write_text("/proc/ferrite/selftest", "hung-task", EINVAL);
	write_text(TIMEOUT_PATH, old, 0);
	printf("hung_task: reported the uninterruptible sleeper once, not the interruptible one\n");
	return 0;
}
