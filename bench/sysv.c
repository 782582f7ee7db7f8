/*
 * System V IPC benchmarks: message ping-pong and semaphore ping-pong between
 * two processes, shmat+shmdt, and shmat + touch one page + shmdt.
 *
 * Every object is IPC_PRIVATE, created at the start of a repetition and
 * removed (IPC_RMID) at its end, so nothing outlives the program. ENOSYS
 * from the get call means "unsupported", not a failure.
 */
#include "bench.h"

#include <errno.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

struct small_msg {
	long mtype;
	long payload;
};

static int64_t get_failed(const char *name, const char *what)
{
	if (errno == ENOSYS)
		return BENCH_UNSUPPORTED;
	bench_error(name, what);
	return BENCH_FAILED;
}

/* Type 1 carries ping to the child, type 2 carries pong back. */
static int64_t bench_msg_pingpong(long iters)
{
	struct small_msg m = { 1, 0 };
	int64_t t0, t = 0;
	int status;
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

	if (id < 0)
		return get_failed("msg_pingpong", "msgget");
	pid_t pid = fork();
	if (pid < 0) {
		msgctl(id, IPC_RMID, NULL);
		return get_failed("msg_pingpong", "fork");
	}
	if (pid == 0) {
		bench_pin_partner();
		for (long i = 0; i < iters; i++) {
			if (msgrcv(id, &m, sizeof(m.payload), 1, 0) < 0)
				_exit(1);
			m.mtype = 2;
			if (msgsnd(id, &m, sizeof(m.payload), 0))
				_exit(1);
		}
		_exit(0);
	}
	t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		m.mtype = 1;
		m.payload = i;
		if (msgsnd(id, &m, sizeof(m.payload), 0) ||
		    msgrcv(id, &m, sizeof(m.payload), 2, 0) < 0) {
			bench_error("msg_pingpong", "msgsnd/msgrcv");
			t = BENCH_FAILED;
			break;
		}
	}
	if (!t)
		t = now_ns() - t0;
	msgctl(id, IPC_RMID, NULL); /* also frees a child stuck in msgrcv */
	waitpid(pid, &status, 0);
	return t;
}

/* Semaphore 0 says "your turn, child", semaphore 1 "your turn, parent". */
static int64_t bench_sem_pingpong(long iters)
{
	struct sembuf post0 = { 0, 1, 0 }, wait0 = { 0, -1, 0 };
	struct sembuf post1 = { 1, 1, 0 }, wait1 = { 1, -1, 0 };
	int64_t t0, t = 0;
	int status;
	int id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);

	if (id < 0)
		return get_failed("sem_pingpong", "semget");
	pid_t pid = fork();
	if (pid < 0) {
		semctl(id, 0, IPC_RMID);
		return get_failed("sem_pingpong", "fork");
	}
	if (pid == 0) {
		bench_pin_partner();
		for (long i = 0; i < iters; i++)
			if (semop(id, &wait0, 1) || semop(id, &post1, 1))
				_exit(1);
		_exit(0);
	}
	t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		if (semop(id, &post0, 1) || semop(id, &wait1, 1)) {
			bench_error("sem_pingpong", "semop");
			t = BENCH_FAILED;
			break;
		}
	}
	if (!t)
		t = now_ns() - t0;
	semctl(id, 0, IPC_RMID);
	waitpid(pid, &status, 0);
	return t;
}

static int64_t shm_attach_loop(const char *name, long iters, int touch)
{
	int64_t t0, t = 0;
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);

	if (id < 0)
		return get_failed(name, "shmget");
	t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		volatile char *p = shmat(id, NULL, 0);

		if (p == (void *)-1 || (touch && (*p = (char)i, 0)) || shmdt((void *)p)) {
			bench_error(name, "shmat/shmdt");
			t = BENCH_FAILED;
			break;
		}
	}
	if (!t)
		t = now_ns() - t0;
	shmctl(id, IPC_RMID, NULL);
	return t;
}

static int64_t bench_shmat(long iters)
{
	return shm_attach_loop("shmat_shmdt", iters, 0);
}

static int64_t bench_shmat_touch(long iters)
{
	return shm_attach_loop("shmat_touch_shmdt", iters, 1);
}

const struct bench bench_sysv_table[] = {
	{ "msg_pingpong", "ns", 2000, bench_msg_pingpong, 0 },
	{ "sem_pingpong", "ns", 2000, bench_sem_pingpong, 0 },
	{ "shmat_shmdt", "ns", 2000, bench_shmat, 0 },
	{ "shmat_touch_shmdt", "ns", 1000, bench_shmat_touch, 0 },
	{ 0 },
};
