/*
 * Robust mutexes: the owner dies holding the lock and the next locker gets
 * EOWNERDEAD, makes the mutex consistent and goes on.
 *  1. process-shared, in a MAP_SHARED page: a forked child locks and exits;
 *  2. the same while the parent already sleeps in pthread_mutex_lock
 *     (FUTEX_WAITERS set: the kernel must wake it at the child's exit);
 *  3. process-private: a thread locks and returns.
 * The kernel walks the dead thread's robust list (set_robust_list).
 */
#include "pthread_common.h"
#include <sys/mman.h>
#include <sys/utsname.h>

/* qemu-user (linux-check on riscv64) lacks set_robust_list, so glibc
 * refuses robust mutexes there: skip, but never inside Ferrite. */
static void skip_unless_ferrite(void)
{
	struct utsname u;

	if (uname(&u) == 0 && !strstr(u.release, "ferrite")) {
		printf("robust mutexes unsupported here: skip\n");
		exit(77);
	}
}

struct shared {
	pthread_mutex_t m;
	volatile int locked;   /* child: "I hold it" */
	volatile int release;  /* parent: "now die" */
};

static void init_robust(pthread_mutex_t *m, int pshared)
{
	pthread_mutexattr_t a;

	PT_CHECK(pthread_mutexattr_init(&a));
	PT_CHECK(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST));
	PT_CHECK(pthread_mutexattr_setpshared(&a, pshared));
	if (pthread_mutex_init(m, &a) == ENOTSUP)
		skip_unless_ferrite();
	PT_CHECK(pthread_mutex_init(m, &a));
	PT_CHECK(pthread_mutexattr_destroy(&a));
}

static void expect_owner_dead(pthread_mutex_t *m, int e)
{
	errno = e;
	CHECK(e == EOWNERDEAD, "lock after owner death returned %d", e);
	PT_CHECK(pthread_mutex_consistent(m));
	PT_CHECK(pthread_mutex_unlock(m));
	PT_CHECK(pthread_mutex_lock(m)); /* usable again */
	PT_CHECK(pthread_mutex_unlock(m));
}

static void child_dies_holding(struct shared *s, int parent_waits)
{
	int status;
	pid_t pid;

	s->locked = s->release = 0;
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		if (pthread_mutex_lock(&s->m))
			_exit(2);
		s->locked = 1;
		while (!s->release)
			usleep(1000);
		if (parent_waits)
			usleep(50 * 1000); /* let the parent reach the futex wait */
		_exit(0); /* still holding the mutex */
	}
	while (!s->locked)
		usleep(1000);
	if (parent_waits) {
		s->release = 1;
		expect_owner_dead(&s->m, pthread_mutex_lock(&s->m));
		CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	} else {
		s->release = 1;
		CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
		expect_owner_dead(&s->m, pthread_mutex_lock(&s->m));
	}
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
}

static pthread_mutex_t private_m;

static void *thread_dies_holding(void *arg)
{
	PT_CHECK(pthread_mutex_lock(&private_m));
	return arg;
}

int main(void)
{
	struct shared *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				-1, 0);
	pthread_t t;

	CHECK(s != MAP_FAILED, "mmap");
	init_robust(&s->m, PTHREAD_PROCESS_SHARED);
	child_dies_holding(s, 0);
	child_dies_holding(s, 1);

	init_robust(&private_m, PTHREAD_PROCESS_PRIVATE);
	PT_CHECK(pthread_create(&t, NULL, thread_dies_holding, NULL));
	PT_CHECK(pthread_join(t, NULL));
	expect_owner_dead(&private_m, pthread_mutex_lock(&private_m));
	return 0;
}
