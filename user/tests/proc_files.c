/*
 * /proc basics: /proc/self, /proc/<pid>/stat, status, cmdline, the global
 * files (uptime, meminfo, stat, mounts) and the pid list in /proc.
 */
#include "common.h"
#include <dirent.h>
#include <fcntl.h>

static size_t slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	size_t len = 0;
	ssize_t r;

	CHECK(fd >= 0, "open %s", path);
	while (len < cap - 1 && (r = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)r;
	close(fd);
	buf[len] = '\0';
	return len;
}

int main(int argc, char **argv)
{
	char buf[4096], path[64], link[64];
	pid_t me = getpid();

	(void)argc;
	ssize_t n = readlink("/proc/self", link, sizeof(link) - 1);
	CHECK(n > 0, "readlink /proc/self");
	link[n] = '\0';
	CHECK(atoi(link) == me, "/proc/self -> %s, want %d", link, me);

	slurp("/proc/self/stat", buf, sizeof(buf));
	int pid, ppid;
	char comm[64], state;
	CHECK(sscanf(buf, "%d (%63[^)]) %c %d", &pid, comm, &state, &ppid) == 4, "stat: %s", buf);
	/* qemu-user (linux-check on riscv64) fakes /proc/self/stat with
	 * state '0'; a real kernel says we are running. */
	CHECK(pid == me && ppid == getppid() && (state == 'R' || state == '0'),
	      "stat fields: %s", buf);
	/* Under qemu-user the process is qemu-riscv64 itself. */
	CHECK(under_qemu_user() || strcmp(comm, "proc_files") == 0, "comm %s", comm);
	/* 52 fields on Linux >= 3.5 */
	int fields = 1;
	for (char *p = strrchr(buf, ')'); *p; p++)
		fields += *p == ' ';
	CHECK(fields >= 40, "only %d fields", fields);

	/* The parent's stat shows it sleeping in wait. */
	pid_t child = fork();
	CHECK(child >= 0, "fork");
	if (child == 0) {
		snprintf(path, sizeof(path), "/proc/%d/stat", getppid());
		usleep(100000);
		slurp(path, buf, sizeof(buf));
		char *p = strrchr(buf, ')');
		_exit(p && p[2] == 'S' ? 0 : 1);
	}
	int status;
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "child saw the parent not sleeping");
	/* The reaped child is gone. */
	snprintf(path, sizeof(path), "/proc/%d/stat", child);
	CHECK_ERRNO(open(path, O_RDONLY), ENOENT);

	slurp("/proc/self/status", buf, sizeof(buf));
	snprintf(path, sizeof(path), "\nPid:\t%d\n", me);
	CHECK((under_qemu_user() || strstr(buf, "Name:\tproc_files\n")) && strstr(buf, path) && strstr(buf, "\nUid:\t") &&
	      strstr(buf, "\nVmRSS:") &&
	      (under_qemu_user() || strstr(buf, "\nThreads:\t1\n")), "status: %s", buf);

	size_t len = slurp("/proc/self/cmdline", buf, sizeof(buf));
	CHECK(len == strlen(argv[0]) + 1 && strcmp(buf, argv[0]) == 0, "cmdline %s", buf);

	double up, idle;
	slurp("/proc/uptime", buf, sizeof(buf));
	CHECK(sscanf(buf, "%lf %lf", &up, &idle) == 2 && up > 0, "uptime %s", buf);
	unsigned long total, avail;
	slurp("/proc/meminfo", buf, sizeof(buf));
	CHECK(sscanf(buf, "MemTotal: %lu kB", &total) == 1 && total > 0, "meminfo %s", buf);
	CHECK(strstr(buf, "MemFree:") && strstr(buf, "MemAvailable:"), "meminfo %s", buf);
	sscanf(strstr(buf, "MemAvailable:"), "MemAvailable: %lu", &avail);
	CHECK(avail <= total, "avail %lu > total %lu", avail, total);
	slurp("/proc/stat", buf, sizeof(buf));
	CHECK(strncmp(buf, "cpu ", 4) == 0 && strstr(buf, "\nbtime "), "stat %s", buf);
	slurp("/proc/mounts", buf, sizeof(buf));
	CHECK(strstr(buf, " / ") && strstr(buf, " /proc proc "), "mounts %s", buf);

	/* readdir /proc lists our pid as a directory. */
	DIR *d = opendir("/proc");
	CHECK(d, "opendir /proc");
	struct dirent *e;
	int found = 0;
	while ((e = readdir(d)))
		found |= atoi(e->d_name) == me;
	closedir(d);
	CHECK(found, "pid %d not in /proc", me);

	CHECK_ERRNO(open("/proc/nonexistent", O_RDONLY), ENOENT);
	return 0;
}
