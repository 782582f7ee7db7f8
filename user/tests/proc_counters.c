/*
 * /proc/ferrite/counters (Ferrite only): the leak counters the runner
 * compares move when a test keeps an object (a System V segment, a pipe)
 * and come back when it is removed, so a leaking test would FAIL.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/utsname.h>

static long counter(const char *name)
{
	char buf[2048], key[64];
	int fd = open("/proc/ferrite/counters", O_RDONLY);
	ssize_t len = 0, r;

	CHECK(fd >= 0, "open counters");
	while ((r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += r;
	close(fd);
	buf[len] = '\0';
	snprintf(key, sizeof(key), "%s ", name);
	for (char *p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, key, strlen(key)) == 0)
			return atol(p + strlen(key));
	FAIL("no counter %s in %s", name, buf);
}

int main(void)
{
	struct utsname u;

	if (uname(&u) || !strstr(u.release, "ferrite"))
		return 77;
	long shm0 = counter("shm_segments"), pipes0 = counter("pipes");
	long kmem0 = counter("kmalloc_bytes");

	int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
	CHECK(id >= 0, "shmget");
	CHECK(counter("shm_segments") == shm0 + 1, "shm counter did not move");
	int fds[2];
	CHECK(pipe(fds) == 0, "pipe");
	CHECK(counter("pipes") == pipes0 + 1, "pipe counter did not move");
	CHECK(counter("kmalloc_bytes") > kmem0, "kmalloc_bytes did not grow");

	CHECK(shmctl(id, IPC_RMID, NULL) == 0, "IPC_RMID");
	close(fds[0]);
	close(fds[1]);
	CHECK(counter("shm_segments") == shm0, "shm counter did not come back");
	CHECK(counter("pipes") == pipes0, "pipe counter did not come back");
	return 0;
}
