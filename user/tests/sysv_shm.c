/*
 * System V shared memory across fork: IPC_PRIVATE and keyed segments,
 * SHM_RDONLY (a write kills the child with SIGSEGV), IPC_STAT's nattch,
 * IPC_RMID deferred until the last detach, and exec/exit dropping
 * attachments.
 */
#include "common.h"
#include <sys/ipc.h>
#include <sys/shm.h>

static int nattch(int id)
{
	struct shmid_ds ds;

	CHECK(shmctl(id, IPC_STAT, &ds) == 0, "IPC_STAT");
	return (int)ds.shm_nattch;
}

static void write_ro(void *arg)
{
	volatile int *p = arg;
	*p = 1;
}

int main(void)
{
	int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
	CHECK(id >= 0, "shmget private");
	struct shmid_ds ds;
	CHECK(shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_segsz == 10000 && ds.shm_nattch == 0,
	      "IPC_STAT fresh");
	int *p = shmat(id, NULL, 0);
	CHECK(p != (void *)-1, "shmat");
	CHECK(nattch(id) == 1, "nattch after attach");
	p[0] = 42;

	/* fork inherits the attachment; the child's writes are shared. */
	pid_t c = fork();
	CHECK(c >= 0, "fork");
	if (c == 0) {
		if (nattch(id) != 2 || p[0] != 42)
			_exit(1);
		p[1] = 7;
		_exit(0);
	}
	int st;
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child");
	CHECK(p[1] == 7, "child's write not seen");
	CHECK(nattch(id) == 1, "exit did not drop the child's attachment: %d", nattch(id));

	/* exec drops the attachment too. */
	c = fork();
	CHECK(c >= 0, "fork");
	if (c == 0) {
		char *argv[] = { "true", NULL };
		execv("/bin/true", argv);
		_exit(127);
	}
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "exec child");
	CHECK(nattch(id) == 1, "exec did not drop the attachment");

	/* SHM_RDONLY: reading works, writing is SIGSEGV. */
	int *ro = shmat(id, NULL, SHM_RDONLY);
	CHECK(ro != (void *)-1 && ro[0] == 42, "SHM_RDONLY read");
	CHECK(nattch(id) == 2, "nattch 2");
	st = run_in_child(write_ro, ro);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "write to SHM_RDONLY: status %d", st);
	CHECK(shmdt(ro) == 0, "shmdt ro");
	CHECK_ERRNO(shmdt(ro), EINVAL);

	/* Keyed segment: found again by key; IPC_EXCL refuses it. */
	key_t key = 0x5e6f0000 + (getpid() & 0xffff);
	int kid = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
	CHECK(kid >= 0, "shmget key");
	CHECK(shmget(key, 4096, 0600) == kid, "shmget same key");
	CHECK(shmget(key, 2048, 0) == kid, "smaller size is fine");
	CHECK_ERRNO(shmget(key, 8192, 0), EINVAL);
	CHECK_ERRNO(shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	c = fork();
	CHECK(c >= 0, "fork");
	if (c == 0) {
		int id2 = shmget(key, 0, 0);
		char *q = shmat(id2, NULL, 0);
		if (q == (void *)-1)
			_exit(1);
		strcpy(q, "hello");
		_exit(shmdt(q) == 0 ? 0 : 2);
	}
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "keyed child");
	char *kq = shmat(kid, NULL, 0);
	CHECK(kq != (void *)-1 && strcmp(kq, "hello") == 0, "keyed data");

	/* IPC_RMID while attached: the segment lives on until the last
	 * detach, and its key is free again at once. */
	CHECK(shmctl(kid, IPC_RMID, NULL) == 0, "RMID keyed");
	CHECK_ERRNO(shmget(key, 4096, 0600), ENOENT);
	CHECK(strcmp(kq, "hello") == 0, "data gone after RMID");
	CHECK(shmctl(kid, IPC_STAT, &ds) == 0 && (ds.shm_perm.mode & SHM_DEST) &&
	      ds.shm_nattch == 1, "SHM_DEST / nattch after RMID");
	CHECK(shmdt(kq) == 0, "shmdt keyed");
	CHECK_ERRNO(shmctl(kid, IPC_STAT, &ds), EINVAL);

	CHECK(shmctl(id, IPC_RMID, NULL) == 0, "RMID private");
	CHECK(p[0] == 42, "still mapped");
	CHECK(shmdt(p) == 0, "shmdt");
	CHECK_ERRNO(shmctl(id, IPC_STAT, &ds), EINVAL);
	return 0;
}
