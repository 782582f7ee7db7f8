/*
 * Out of memory (run by scripts/run-tests.sh at -m 64M as init, never on
 * Linux): programs that allocate without limit must not bring Ferrite
 * down. Each scenario runs in a child of its own:
 *   anon     touches anonymous memory forever: killed by the OOM killer
 *            (SIGKILL), the console names it
 *   bigger   a second hog while a bigger one sleeps: the bigger one is
 *            the one killed (largest resident set), the grower lives on
 *   shm      touches System V segments (removed at once): killed
 *   pipes    fills pipes: pipe2/write fail with ENOMEM/EMFILE/ENFILE, or
 *            a page fault finds nothing left and it is killed
 *   threads  creates threads until pthread_create says EAGAIN/ENOMEM
 *            (or killed, as pipes)
 *   forks    a fork bomb until fork says EAGAIN/ENOMEM; then it is killed
 * After each, the free frames come back near where they were. Prints
 * OOM_OK (or OOM_FAIL) and powers off.
 */
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/shm.h>

#define MiB (1UL << 20)

static int failures;

static long frames_free(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/ferrite/counters", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "frames_free %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void touch_forever(void)
{
	for (;;) {
		char *p = mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			continue; /* address space is not the shortage; memory is */
		for (size_t i = 0; i < MiB; i += 4096)
			p[i] = 1;
	}
}

static void hog_anon(void *arg)
{
	(void)arg;
	touch_forever();
}

static void hog_shm(void *arg)
{
	(void)arg;
	for (;;) {
		int id = shmget(IPC_PRIVATE, MiB, IPC_CREAT | 0600);
		if (id < 0)
			_exit(3); /* creation refused before memory ran out: fine too */
		char *p = shmat(id, NULL, 0);
		shmctl(id, IPC_RMID, NULL); /* freed when we die */
		if (p == (void *)-1)
			_exit(4);
		for (size_t i = 0; i < MiB; i += 4096)
			p[i] = 1;
	}
}

static void hog_pipes(void *arg)
{
	(void)arg;
	struct rlimit r = { 1 << 16, 1 << 16 };
	setrlimit(RLIMIT_NOFILE, &r);
	static char buf[65536];
	for (;;) {
		int fds[2];
		if (pipe2(fds, O_NONBLOCK) < 0) {
			printf("oom: pipes: pipe2 failed with errno %d\n", errno);
			_exit(errno == ENOMEM || errno == EMFILE || errno == ENFILE ? 0 : 5);
		}
		fcntl(fds[1], F_SETPIPE_SZ, 1 << 20);
		for (;;) {
			ssize_t n = write(fds[1], buf, sizeof(buf));
			if (n > 0)
				continue;
			if (errno == EAGAIN)
				break;
			printf("oom: pipes: write failed with errno %d\n", errno);
			_exit(errno == ENOMEM ? 0 : 6);
		}
	}
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void hog_threads(void *arg)
{
	(void)arg;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 64 * 1024);
	for (int n = 0;; n++) {
		pthread_t t;
		int err = pthread_create(&t, &a, sleeper, NULL);
		if (err) {
			printf("oom: threads: pthread_create failed with %d after %d threads\n", err, n);
			_exit(err == EAGAIN || err == ENOMEM ? 0 : 7);
		}
	}
}

static void hog_forks(void *arg)
{
	(void)arg;
	setpgid(0, 0);
	for (int n = 0;; n++) {
		pid_t p = fork();
		if (p == 0) {
			for (;;)
				pause();
		}
		if (p < 0) {
			int e = errno;
			printf("oom: forks: fork failed with errno %d after %d children\n", e, n);
			signal(SIGTERM, SIG_IGN);
			kill(0, SIGKILL); /* the whole bomb, this process too */
			_exit(e == EAGAIN || e == ENOMEM ? 0 : 8);
		}
	}
}

/* The bigger hog takes 30 MiB and sleeps; the grower then takes up to
 * 28 MiB, more than is left (about 50 MiB free at -m 64M): the bigger one
 * must be the one killed (largest resident set) and the grower lives. */
static void bigger(void)
{
	fflush(NULL);
	pid_t big = fork();
	if (big == 0) {
		size_t len = 30 * MiB;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		for (size_t i = 0; p != MAP_FAILED && i < len; i += 4096)
			p[i] = 1;
		for (;;)
			pause();
	}
	usleep(500000);
	pid_t grow = fork();
	if (grow == 0) {
		for (int i = 0; i < 7; i++) {
			char *p = mmap(NULL, 4 * MiB, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			for (size_t j = 0; p != MAP_FAILED && j < 4 * MiB; j += 4096)
				p[j] = 1;
		}
		_exit(0);
	}
	int st, bst = 0;
	waitpid(grow, &st, 0);
	pid_t gone = waitpid(big, &bst, WNOHANG);
	if (gone == 0) {
		kill(big, SIGKILL);
		waitpid(big, NULL, 0);
	}
	bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0 && gone == big && WIFSIGNALED(bst) &&
		  WTERMSIG(bst) == SIGKILL;
	printf("oom: bigger: grower status 0x%x, bigger one %s: %s\n", st,
	       gone == big ? "killed" : "still alive", ok ? "ok" : "FAIL");
	if (!ok)
		failures++;
}

static void scenario(const char *name, void (*fn)(void *), int want_sig)
{
	long before = frames_free();
	int st = run_in_child(fn, NULL);
	/* As init we inherit the orphans of a fork bomb: reap them all. */
	for (int i = 0; i < 10; i++) {
		usleep(100000);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	long after = frames_free();
	/* A syscall's allocation fails with an errno (the program exits 0),
	 * or a page fault finds no memory left and the OOM killer picks it
	 * (the largest): both keep the machine alive. */
	bool ok = (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) ||
		  (WIFEXITED(st) && WEXITSTATUS(st) == (want_sig ? 3 : 0));
	/* Some slack: page tables of the runner, the pipe cache. */
	if (after < before - 64)
		ok = false;
	printf("oom: %s: status 0x%x, free frames %ld -> %ld: %s\n", name, st, before, after,
	       ok ? "ok" : "FAIL");
	if (!ok)
		failures++;
}

int main(void)
{
	if (access("/proc/ferrite", F_OK) != 0)
		return 77; /* not on Linux: it would really run the machine out */
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("oom: start, %ld frames free\n", frames_free());
	scenario("anon", hog_anon, SIGKILL);
	bigger();
	scenario("shm", hog_shm, SIGKILL);
	scenario("pipes", hog_pipes, 0);
	scenario("threads", hog_threads, 0);
	scenario("forks", hog_forks, SIGKILL);
	scenario("anon again", hog_anon, SIGKILL);
	printf(failures ? "OOM_FAIL\n" : "OOM_OK\n");
	if (getpid() == 1)
		reboot(RB_POWER_OFF);
	return failures ? 1 : 0;
}
