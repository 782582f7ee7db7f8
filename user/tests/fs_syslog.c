/*
 * Issue 8 item 13: syslog/klogctl was missing, so busybox dmesg failed.
 * The kernel keeps its console messages in a 64 KiB ring; syslog(2) reads
 * it with Linux's actions and errnos. On Linux only what needs no special
 * right (and changes nothing: the host's log and console level are left
 * alone) is checked; without the right to read the log the test skips.
 */
#include "common.h"
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/utsname.h>

enum { CLOSE, OPEN, READ, READ_ALL, READ_CLEAR, CLEAR, CONSOLE_OFF, CONSOLE_ON, CONSOLE_LEVEL,
       SIZE_UNREAD, SIZE_BUFFER };

static int in_ferrite(void)
{
	struct utsname u;
	return uname(&u) == 0 && strstr(u.release, "ferrite") != NULL;
}

/* Every record starts "<level>[" and ends with a newline. */
static void check_records(const char *buf, int n)
{
	CHECK(n > 0 && buf[n - 1] == '\n', "log ends with a newline");
	for (int i = 0; i < n;) {
		CHECK(buf[i] == '<' && buf[i + 1] >= '0' && buf[i + 1] <= '7' && buf[i + 2] == '>',
		      "record at %d starts \"%.8s\"", i, buf + i);
		const char *nl = memchr(buf + i, '\n', (size_t)(n - i));
		CHECK(nl, "record at %d has no end", i);
		i = (int)(nl - buf) + 1;
	}
}

static int run_busybox(const char *arg, char *out, size_t cap)
{
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execl("/bin/busybox", "dmesg", arg, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	size_t got = 0;
	ssize_t r;
	while ((r = read(p[0], out + got, cap - 1 - got)) > 0 && got < cap - 1)
		got += (size_t)r;
	out[got] = 0;
	close(p[0]);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	return status;
}

int main(void)
{
	static char buf[128 * 1024];
	int size = klogctl(SIZE_BUFFER, NULL, 0);

	if (size < 0 && errno == EPERM && !in_ferrite())
		return 77; /* kernel.dmesg_restrict without CAP_SYSLOG */
	CHECK(size > 0 && size <= (int)sizeof(buf), "SIZE_BUFFER %d", size);
	int n = klogctl(READ_ALL, buf, size);
	CHECK(n > 0 && n <= size, "READ_ALL %d", n);
	check_records(buf, n);
	/* A short buffer gets the newest whole records. */
	int m = klogctl(READ_ALL, buf, 200);
	CHECK(m >= 0 && m <= 200, "READ_ALL 200: %d", m);
	if (m > 0)
		check_records(buf, m);
	CHECK(klogctl(READ_ALL, buf, 0) == 0, "READ_ALL of 0 bytes");
	if (under_qemu_user())
		return 0; /* qemu-user checks syslog's arguments its own way */
	CHECK_ERRNO(klogctl(READ_ALL, NULL, 10), EINVAL);
	CHECK_ERRNO(klogctl(READ_ALL, buf, -1), EINVAL);
	CHECK_ERRNO(klogctl(READ_ALL, launder_ptr(8), size), EFAULT);
	if (!in_ferrite() && klogctl(SIZE_UNREAD, NULL, 0) < 0)
		return 0; /* the rest needs CAP_SYSLOG */
	CHECK_ERRNO(klogctl(11, buf, 10), EINVAL);
	CHECK_ERRNO(klogctl(-1, buf, 10), EINVAL);
	CHECK_ERRNO(klogctl(CONSOLE_LEVEL, NULL, 0), EINVAL);
	CHECK_ERRNO(klogctl(CONSOLE_LEVEL, NULL, 9), EINVAL);
	CHECK_ERRNO(klogctl(READ, NULL, 10), EINVAL);
	CHECK_ERRNO(klogctl(READ, buf, -5), EINVAL);
	CHECK(klogctl(READ, buf, 0) == 0, "READ of 0 bytes");
	CHECK(klogctl(SIZE_UNREAD, NULL, 0) >= 0, "SIZE_UNREAD");
	CHECK(klogctl(OPEN, NULL, 0) == 0 && klogctl(CLOSE, NULL, 0) == 0, "OPEN/CLOSE");
	if (!in_ferrite())
		return 0; /* the rest changes the log and the console level */

	n = klogctl(READ_ALL, buf, size);
	CHECK(memmem(buf, (size_t)n, "booting on", 10), "the boot banner is in the log");
	/* busybox dmesg prints the log without the <level> prefixes. */
	static char out[128 * 1024];
	int st = run_busybox(NULL, out, sizeof(out));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "busybox dmesg: status 0x%x", st);
	CHECK(strstr(out, "booting on") && out[0] == '[', "busybox dmesg output: %.60s", out);
	st = run_busybox("-r", out, sizeof(out));
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && out[0] == '<', "busybox dmesg -r: %.20s", out);
	/* READ consumes. */
	int unread = klogctl(SIZE_UNREAD, NULL, 0);
	CHECK(unread > 10, "unread %d", unread);
	CHECK(klogctl(READ, buf, 10) == 10, "READ 10");
	CHECK(klogctl(SIZE_UNREAD, NULL, 0) == unread - 10, "SIZE_UNREAD after READ");
	CHECK(klogctl(READ, buf, size) == unread - 10, "READ the rest");
	CHECK(klogctl(SIZE_UNREAD, NULL, 0) == 0, "nothing unread");
	/* CLEAR empties READ_ALL; READ_CLEAR reads, then clears. */
	CHECK(klogctl(READ_CLEAR, buf, size) > 0, "READ_CLEAR");
	CHECK(klogctl(READ_ALL, buf, size) == 0, "empty after READ_CLEAR");
	CHECK(klogctl(CLEAR, NULL, 0) == 0, "CLEAR");
	CHECK(klogctl(READ_ALL, buf, size) == 0, "empty after CLEAR");
	CHECK(klogctl(CONSOLE_LEVEL, NULL, 8) == 0, "CONSOLE_LEVEL 8");
	CHECK(klogctl(CONSOLE_OFF, NULL, 0) == 0 && klogctl(CONSOLE_ON, NULL, 0) == 0, "OFF/ON");
	CHECK(klogctl(CONSOLE_LEVEL, NULL, 7) == 0, "CONSOLE_LEVEL 7");
	return 0;
}
