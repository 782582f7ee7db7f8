/*
 * System V permissions and bad input: a child that setuid()s to 1000 gets
 * EACCES on 0600 objects and EPERM on IPC_RMID; bad ids, double removal,
 * huge sizes, bad counts and bad pointers give errnos. Runs as root (skips
 * elsewhere).
 */
#include "common.h"
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

static int shm, msq, sem;

static void as_user(void *arg)
{
	(void)arg;
	if (setuid(1000) != 0)
		_exit(10);
	struct msqid_ds mds;
	struct shmid_ds sds;
	struct sembuf op = { 0, 1, 0 };
	struct { long type; char text[8]; } m = { 1, "x" };
	CHECK_ERRNO(shmat(shm, NULL, 0), EACCES);
	CHECK_ERRNO(shmctl(shm, IPC_STAT, &sds), EACCES);
	CHECK_ERRNO(shmctl(shm, IPC_RMID, NULL), EPERM);
	CHECK_ERRNO(msgsnd(msq, &m, 1, IPC_NOWAIT), EACCES);
	CHECK_ERRNO(msgctl(msq, IPC_STAT, &mds), EACCES);
	CHECK_ERRNO(msgctl(msq, IPC_RMID, NULL), EPERM);
	CHECK_ERRNO(semop(sem, &op, 1), EACCES);
	CHECK_ERRNO(semctl(sem, 0, IPC_RMID), EPERM);
	CHECK_ERRNO(shmget(0x7e570001, 0, 0), ENOENT);
}

int main(void)
{
	if (geteuid() != 0)
		return 77;
	shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
	CHECK(shm >= 0 && msq >= 0 && sem >= 0, "create");
	/* qemu-user (linux-check on riscv64) aborts on setuid in a forked
	 * child; native x86_64 Linux checks this part. */
	if (!under_qemu_user()) {
		int st = run_in_child(as_user, NULL);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unprivileged child: status 0x%x", st);
	}

	/* Bad input. */
	struct shmid_ds sds;
	CHECK_ERRNO(shmctl(-1, IPC_STAT, &sds), EINVAL);
	CHECK_ERRNO(shmctl(shm + 123456, IPC_STAT, &sds), EINVAL);
	CHECK_ERRNO(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
	CHECK_ERRNO(shmget(IPC_PRIVATE, (size_t)-1, IPC_CREAT | 0600), EINVAL);
	CHECK_ERRNO(shmctl(shm, IPC_STAT, launder_ptr(16)), EFAULT);
	CHECK_ERRNO(shmat(shm, launder_ptr(4097), 0), EINVAL);
	CHECK_ERRNO(semget(IPC_PRIVATE, -1, IPC_CREAT | 0600), EINVAL);
	CHECK_ERRNO(semget(IPC_PRIVATE, 1 << 20, IPC_CREAT | 0600), EINVAL);
	struct sembuf op = { 5, 1, 0 };
	CHECK_ERRNO(semop(sem, &op, 1), EFBIG);
	CHECK_ERRNO(semop(sem, launder_ptr(16), 1), EFAULT);
	CHECK_ERRNO(msgsnd(msq, launder_ptr(16), 4, IPC_NOWAIT), EFAULT);
	long bad_type[2] = { 0, 0 };
	CHECK_ERRNO(msgsnd(msq, bad_type, 4, IPC_NOWAIT), EINVAL);
	/* qemu-user copies the whole claimed size before the kernel sees it
	 * (and crashes), so these two run on native Linux and in Ferrite. */
	if (!under_qemu_user()) {
		CHECK_ERRNO(msgsnd(msq, bad_type, 100000, IPC_NOWAIT), EINVAL); /* > MSGMAX */
		CHECK_ERRNO(msgrcv(msq, bad_type, (size_t)-1, 0, IPC_NOWAIT), EINVAL);
	}
	CHECK_ERRNO(msgctl(msq, 12345, NULL), EINVAL);

	CHECK(shmctl(shm, IPC_RMID, NULL) == 0, "rm shm");
	CHECK(msgctl(msq, IPC_RMID, NULL) == 0, "rm msg");
	CHECK(semctl(sem, 0, IPC_RMID) == 0, "rm sem");
	CHECK_ERRNO(shmctl(shm, IPC_RMID, NULL), EINVAL);
	CHECK_ERRNO(msgctl(msq, IPC_RMID, NULL), EINVAL);
	CHECK_ERRNO(semctl(sem, 0, IPC_RMID), EINVAL);
	return 0;
}
