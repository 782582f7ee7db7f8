/*
 * System V semaphores across fork: atomic multi-operation semop, IPC_NOWAIT
 * (EAGAIN), SEM_UNDO applied at exit, GETNCNT, semtimedop's timeout and
 * IPC_RMID waking a sleeper with EIDRM.
 */
#include "common.h"
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static int val(int id, int n)
{
	return semctl(id, n, GETVAL);
}

int main(void)
{
	int id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	int st;

	CHECK(id >= 0, "semget");
	CHECK(semctl(id, 0, SETVAL, (union semun){ .val = 1 }) == 0, "SETVAL");
	CHECK(val(id, 0) == 1 && val(id, 1) == 0, "initial values");

	/* All or nothing: sem1 cannot go down, so sem0 stays too. */
	struct sembuf two[2] = { { 0, -1, IPC_NOWAIT }, { 1, -1, IPC_NOWAIT } };
	CHECK_ERRNO(semop(id, two, 2), EAGAIN);
	CHECK(val(id, 0) == 1, "partial semop applied");
	struct sembuf up1 = { 1, 2, 0 };
	CHECK(semop(id, &up1, 1) == 0, "up sem1");
	CHECK(semop(id, two, 2) == 0 && val(id, 0) == 0 && val(id, 1) == 1, "atomic pair");

	/* A child sleeps on sem0; GETNCNT sees it; our post wakes it. */
	pid_t c = fork();
	CHECK(c >= 0, "fork");
	if (c == 0) {
		struct sembuf down = { 0, -1, 0 };
		_exit(semop(id, &down, 1) == 0 ? 0 : 1);
	}
	for (int i = 0; i < 100 && semctl(id, 0, GETNCNT) != 1; i++)
		usleep(10000);
	CHECK(semctl(id, 0, GETNCNT) == 1, "GETNCNT");
	struct sembuf up0 = { 0, 1, 0 };
	CHECK(semop(id, &up0, 1) == 0, "post");
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "sleeper");
	CHECK(val(id, 0) == 0 && semctl(id, 0, GETNCNT) == 0, "after wake");

	/* SEM_UNDO: the child's +3 is taken back when it exits. */
	c = fork();
	CHECK(c >= 0, "fork");
	if (c == 0) {
		struct sembuf u = { 0, 3, SEM_UNDO };
		_exit(semop(id, &u, 1) == 0 && val(id, 0) == 3 ? 0 : 1);
	}
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "undo child");
	CHECK(val(id, 0) == 0, "SEM_UNDO not applied: %d", val(id, 0));

	/* semtimedop: times out with EAGAIN. */
	struct sembuf down = { 0, -1, 0 };
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	CHECK_ERRNO(semtimedop(id, &down, 1, &ts), EAGAIN);

	/* IPC_RMID wakes a sleeper with EIDRM. */
	c = fork();
	CHECK(c >= 0, "fork");
	if (c == 0) {
		struct sembuf d = { 1, -5, 0 };
		errno = 0;
		int r = semop(id, &d, 1);
		_exit(r == -1 && errno == EIDRM ? 0 : 1);
	}
	for (int i = 0; i < 100 && semctl(id, 1, GETNCNT) != 1; i++)
		usleep(10000);
	CHECK(semctl(id, 0, IPC_RMID) == 0, "RMID");
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "EIDRM sleeper");
	CHECK_ERRNO(semctl(id, 0, IPC_RMID), EINVAL);
	return 0;
}
