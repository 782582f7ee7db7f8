/*
 * The checks between batches: every process the sequences left behind is
 * killed and must be gone within a deadline (a task that survives SIGKILL
 * is a hang), the scratch files and System V objects are removed, and the
 * kernel's leak counters (/proc/ferrite/counters) are read for comparison.
 * Only processes whose parent is the fuzzer are touched, so a run on Linux
 * (as a subreaper) never reaches anything else.
 */
#include "sysfuzz.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define COUNTERS_PATH "/proc/ferrite/counters"

double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

bool counters_read(struct counters *c)
{
	/* A SIGCHLD left pending holds a queue entry: take it first. */
	sigset_t chld;
	siginfo_t info;
	struct timespec zero = { 0, 0 };
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (sigtimedwait(&chld, &info, &zero) > 0)
		;

	char buf[2048];
	ssize_t len = 0, r;
	int fd = open(COUNTERS_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += r;
	close(fd);
	buf[len] = '\0';
	c->n = 0;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line && c->n < COUNTERS_MAX;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%31s %llu", c->name[c->n], &c->value[c->n]) == 2)
			c->n++;
	}
	return c->n > 0;
}

/*
 * Free frames and kmalloc'd bytes move a little with the fuzzer's own life
 * (its stack, a signal queued to it, a cached page table): a difference
 * below the slack is no leak. A real leak grows with every batch and
 * crosses it, since batches are compared with the run's first baseline.
 * Object counts (processes, files, pipes...) must match exactly.
 */
static unsigned long long slack(const char *name)
{
	if (!strcmp(name, "frames_free"))
		return 32;
	if (!strcmp(name, "kmalloc_bytes"))
		return 16384;
	return 0;
}

int counters_diff(const struct counters *a, const struct counters *b, char *why, size_t len)
{
	int bad = 0;
	size_t used = 0;

	why[0] = '\0';
	for (int i = 0; i < a->n && i < b->n; i++) {
		unsigned long long d = a->value[i] > b->value[i] ? a->value[i] - b->value[i]
								 : b->value[i] - a->value[i];
		if (d <= slack(a->name[i]))
			continue;
		bad++;
		if (used < len)
			used += snprintf(why + used, len - used, "%s%s %llu -> %llu",
					 bad > 1 ? ", " : "", a->name[i], a->value[i], b->value[i]);
	}
	return bad;
}

/* The pids whose parent is us, from /proc/PID/stat. */
static int our_children(pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;
	pid_t self = getpid();

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char path[300], buf[256];
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		/* pid (comm) state ppid ...: comm may hold spaces; skip to ')'. */
		char *rp = strrchr(buf, ')');
		char state;
		int ppid;
		if (rp && sscanf(rp + 1, " %c %d", &state, &ppid) == 2 && ppid == self)
			out[n++] = atoi(e->d_name);
	}
	closedir(d);
	return n;
}

static void describe_task(pid_t pid, char *why, size_t len)
{
	char path[64], buf[256];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	snprintf(why, len, "pid %d still there after SIGKILL (stat: %.120s)", pid, buf);
}

/*
 * Kill every process whose parent is us and reap them all; return the
 * number still there after deadline_ms (a hang), described in why.
 */
int kill_strays(int deadline_ms, char *why, size_t len)
{
	pid_t kids[256];
	double start = now_ms();

	why[0] = '\0';
	for (;;) {
		int status;
		while (waitpid(-1, &status, WNOHANG | __WALL) > 0)
			;
		int n = our_children(kids, 256);
		if (n == 0) {
			/* Zombies are gone; no child at all is the normal end. */
			if (waitpid(-1, &status, WNOHANG | __WALL) < 0 && errno == ECHILD)
				return 0;
		}
		for (int i = 0; i < n; i++)
			kill(kids[i], SIGKILL);
		if (now_ms() - start > deadline_ms) {
			if (n)
				describe_task(kids[0], why, len);
			else
				snprintf(why, len, "a child is never reaped (waitpid finds no zombie)");
			return n ? n : 1;
		}
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

void remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		chmod(path, 0700);
		DIR *d = opendir(path);
		if (d) {
			struct dirent *e;
			char sub[512];
			while ((e = readdir(d))) {
				if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
					continue;
				snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
				remove_tree(sub);
			}
			closedir(d);
		}
		rmdir(path);
	} else {
		unlink(path);
	}
}

/* Remove every System V object (the fuzzer is the system's only user). */
void remove_ipc(void)
{
	for (int i = 0; i < 256; i++) {
		struct shmid_ds s;
		struct msqid_ds m;
		struct semid_ds se;
		int id = shmctl(i, SHM_STAT, &s);
		if (id >= 0)
			shmctl(id, IPC_RMID, NULL);
		id = msgctl(i, MSG_STAT, &m);
		if (id >= 0)
			msgctl(id, IPC_RMID, NULL);
		id = semctl(i, 0, SEM_STAT, &se);
		if (id >= 0)
			semctl(id, 0, IPC_RMID);
	}
}
