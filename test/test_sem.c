/* Host tests: System V semaphores (src/ipc/sem.c, sem_ctl.c, ipc_util.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/vm.h>
#include <uapi/time.h>
#include "fake/fake.h"
#include "fake/fake_task.h"
#include "../src/ipc/sysv_sem.h"

long sys_semget(key_t key, int nsems, int semflg);
long sys_semop(int semid, struct sembuf *tsops, unsigned nsops);
long sys_semtimedop(int semid, struct sembuf *tsops, unsigned nsops, const struct timespec *timeout);
long sys_semctl(int semid, int semnum, int cmd, unsigned long arg);

static struct mm *mm;
static uintptr_t ubuf;
static size_t kmalloc_at_start;

static int group_setup(void **state)
{
	fake_mm_init(16UL << 20);
	fake_task_init();
	sys_semctl((int)sys_semget(IPC_PRIVATE, 1, 0600), 0, IPC_RMID, 0); /* slot table */
	return 0;
}

static int setup(void **state)
{
	kmalloc_at_start = kmalloc_live_bytes();
	mm = mm_create();
	fake_proc.mm = mm;
	fake_proc.euid = fake_proc.egid = 0;
	fake_signal_pending = false;
	fake_sleep_hook = NULL;
	ubuf = (uintptr_t)mm_mmap(mm, 0, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	return (long)ubuf > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	fake_proc.mm = NULL;
	mm_put(mm);
	assert_int_equal(ipc_count_live(IPC_KIND_SEM), 0);
	assert_int_equal(kmalloc_live_bytes(), kmalloc_at_start);
	return 0;
}

/* semop with ops copied into user memory. */
static long semop_user(int id, const struct sembuf *ops, unsigned n, const struct timespec *ts)
{
	assert_int_equal(mm_copy_out(mm, ubuf, ops, n * sizeof(*ops)), 0);
	if (ts)
		assert_int_equal(mm_copy_out(mm, ubuf + 4096, ts, sizeof(*ts)), 0);
	return sys_semtimedop(id, (void *)ubuf, n, ts ? (void *)(ubuf + 4096) : NULL);
}

static long getval(int id, int n) { return sys_semctl(id, n, GETVAL, 0); }

/* ---- the pure atomic step ---- */

static void test_apply_pure(void **state)
{
	struct sem s[3] = { { .semval = 1 }, { .semval = 0 }, { .semval = 5 } };
	short adj[3] = { 0 };
	int blocker = -1;

	/* Second op must wait: the first is rolled back. */
	struct sembuf a[] = { { 0, -1, 0 }, { 1, -1, 0 } };
	assert_int_equal(sem_apply_ops(s, a, 2, NULL, 7, &blocker), SEM_WOULD_BLOCK);
	assert_int_equal(blocker, 1);
	assert_int_equal(s[0].semval, 1);
	a[1].sem_flg = IPC_NOWAIT;
	assert_int_equal(sem_apply_ops(s, a, 2, NULL, 7, &blocker), -EAGAIN);
	assert_int_equal(s[0].semval, 1);
	/* Wait-for-zero blocks on a non-zero value. */
	struct sembuf z[] = { { 2, 0, 0 } };
	assert_int_equal(sem_apply_ops(s, z, 1, NULL, 7, &blocker), SEM_WOULD_BLOCK);
	/* ERANGE past SEMVMX rolls back earlier ops too. */
	struct sembuf r[] = { { 0, 3, SEM_UNDO }, { 2, SEMVMX, 0 } };
	assert_int_equal(sem_apply_ops(s, r, 2, adj, 7, &blocker), -ERANGE);
	assert_int_equal(s[0].semval, 1);
	assert_int_equal(adj[0], 0);
	/* Success applies everything, records undo and pid. */
	struct sembuf ok[] = { { 0, -1, SEM_UNDO }, { 2, 2, SEM_UNDO }, { 1, 0, 0 }, { 2, -1, 0 } };
	assert_int_equal(sem_apply_ops(s, ok, 4, adj, 7, &blocker), 0);
	assert_int_equal(s[0].semval, 0);
	assert_int_equal(s[2].semval, 6);
	assert_int_equal(adj[0], 1);
	assert_int_equal(adj[2], -2);
	assert_int_equal(s[0].sempid, 7);
	assert_int_equal(s[1].sempid, 7);
	/* The same semaphore twice in one call sees the first op's result. */
	struct sembuf twice[] = { { 1, 1, 0 }, { 1, -1, 0 }, { 1, -1, 0 } };
	assert_int_equal(sem_apply_ops(s, twice, 3, NULL, 8, &blocker), SEM_WOULD_BLOCK);
	assert_int_equal(blocker, 2);
	assert_int_equal(s[1].semval, 0);
	/* An adjustment out of range is ERANGE. */
	adj[1] = -SEMAEM - 1;
	struct sembuf big[] = { { 1, 1, SEM_UNDO } };
	assert_int_equal(sem_apply_ops(s, big, 1, adj, 8, &blocker), -ERANGE);
	assert_int_equal(s[1].semval, 0);
}

/* ---- syscalls ---- */

static void test_values_and_errors(void **state)
{
	int id = (int)sys_semget(IPC_PRIVATE, 3, 0600);
	unsigned short vals[3] = { 1, 2, 3 }, out[3];

	assert_true(id >= 0);
	assert_int_equal(sys_semget(IPC_PRIVATE, 0, 0600), -EINVAL);
	assert_int_equal(sys_semget(IPC_PRIVATE, SEMMSL + 1, 0600), -EINVAL);
	assert_int_equal(mm_copy_out(mm, ubuf + 8192, vals, sizeof(vals)), 0);
	assert_int_equal(sys_semctl(id, 0, SETALL, ubuf + 8192), 0);
	assert_int_equal(getval(id, 2), 3);
	assert_int_equal(sys_semctl(id, 1, SETVAL, SEMVMX + 1), -ERANGE);
	assert_int_equal(sys_semctl(id, 3, SETVAL, 1), -EINVAL);
	assert_int_equal(sys_semctl(id, 1, SETVAL, 9), 0);
	assert_int_equal(sys_semctl(id, 0, GETALL, ubuf + 8192), 0);
	assert_int_equal(mm_copy_in(mm, out, ubuf + 8192, sizeof(out)), 0);
	assert_int_equal(out[1], 9);
	assert_int_equal(sys_semctl(id, 1, GETPID, 0), 100);
	assert_int_equal(sys_semctl(id, 0, GETALL, 8), -EFAULT);

	struct sembuf e[] = { { 3, 1, 0 } };
	assert_int_equal(semop_user(id, e, 1, NULL), -EFBIG);
	assert_int_equal(sys_semop(id, (void *)ubuf, SEMOPM + 1), -E2BIG);
	assert_int_equal(sys_semop(id, (void *)ubuf, 0), -EINVAL);
	assert_int_equal(sys_semop(id, (void *)8, 1), -EFAULT);
	assert_int_equal(sys_semop(-1, (void *)ubuf, 1), -EINVAL);
	struct sembuf ok[] = { { 0, -1, 0 }, { 2, 1, 0 } };
	assert_int_equal(semop_user(id, ok, 2, NULL), 0);
	assert_int_equal(getval(id, 0), 0);
	assert_int_equal(getval(id, 2), 4);
	struct sembuf w[] = { { 0, -1, 0 } };
	struct timespec bad = { 0, 1000000000L }, zero = { 0, 0 };
	assert_int_equal(semop_user(id, w, 1, &bad), -EINVAL);
	assert_int_equal(semop_user(id, w, 1, &zero), -EAGAIN); /* timed out */
	assert_int_equal(sys_semctl(id, 0, GETNCNT, 0), 0);      /* uncounted again */

	struct semid64_ds ds;
	assert_int_equal(sys_semctl(id, 0, IPC_STAT, ubuf + 8192), 0);
	assert_int_equal(mm_copy_in(mm, &ds, ubuf + 8192, sizeof(ds)), 0);
	assert_int_equal(ds.sem_nsems, 3);
	assert_int_equal(ds.sem_perm.mode, 0600);
	assert_int_equal(sys_semctl(id, 0, IPC_RMID, 0), 0);
	assert_int_equal(sys_semctl(id, 0, IPC_RMID, 0), -EINVAL);
}

static void test_undo_at_exit(void **state)
{
	int id = (int)sys_semget(IPC_PRIVATE, 2, 0600);
	struct process other = fake_proc;

	other.pid = 200;
	assert_int_equal(sys_semctl(id, 0, SETVAL, 5), 0);
	/* Another process takes 3 with SEM_UNDO and adds 2 to sem 1. */
	fake_set_proc(&other);
	struct sembuf ops[] = { { 0, -3, SEM_UNDO }, { 1, 2, SEM_UNDO } };
	assert_int_equal(semop_user(id, ops, 2, NULL), 0);
	fake_set_proc(&fake_proc);
	assert_int_equal(getval(id, 0), 2);
	assert_int_equal(getval(id, 1), 2);
	/* Meanwhile sem 1 drops to 1; the undo clamps at 0. */
	struct sembuf dec[] = { { 1, -1, 0 } };
	assert_int_equal(semop_user(id, dec, 1, NULL), 0);
	sem_exit(&other);
	assert_int_equal(getval(id, 0), 5);
	assert_int_equal(getval(id, 1), 0);
	assert_int_equal(sys_semctl(id, 0, GETPID, 0), 200);
	sem_exit(&other); /* nothing left: no change */
	assert_int_equal(getval(id, 0), 5);
	/* An undo record is freed with its set. */
	assert_int_equal(semop_user(id, ops, 2, NULL), 0);
	assert_int_equal(sys_semctl(id, 0, IPC_RMID, 0), 0);
	sem_exit(&fake_proc);
}

static int hook_id;
static void hook_check_and_post(void)
{
	assert_int_equal(sys_semctl(hook_id, 0, GETNCNT, 0), 1);
	assert_int_equal(sys_semctl(hook_id, 1, GETZCNT, 0), 0);
	assert_int_equal(sys_semctl(hook_id, 0, SETVAL, 2), 0);
}
static void hook_rmid(void) { assert_int_equal(sys_semctl(hook_id, 0, IPC_RMID, 0), 0); }

static void test_blocking_and_permissions(void **state)
{
	int id = (int)sys_semget(99, 2, IPC_CREAT | 0600);
	struct sembuf p[] = { { 0, -2, 0 } };

	hook_id = id;
	fake_sleep_hook = hook_check_and_post;
	assert_int_equal(semop_user(id, p, 1, NULL), 0);
	assert_int_equal(fake_sleep_count > 0, 1);
	assert_int_equal(sys_semctl(id, 0, GETNCNT, 0), 0);
	/* A signal gives EINTR. */
	assert_int_equal(semop_user(id, p, 1, NULL), -EINTR);
	fake_signal_pending = false;
	assert_int_equal(sys_semctl(id, 0, GETNCNT, 0), 0);

	fake_proc.euid = fake_proc.egid = 1000;
	assert_int_equal(sys_semget(99, 2, 0600), -EACCES);
	assert_int_equal(getval(id, 0), -EACCES);
	assert_int_equal(semop_user(id, p, 1, NULL), -EACCES);
	assert_int_equal(sys_semctl(id, 0, IPC_RMID, 0), -EPERM);
	fake_proc.euid = fake_proc.egid = 0;
	assert_int_equal(sys_semget(99, 3, 0), -EINVAL); /* more than it has */

	/* Removal wakes a sleeper with EIDRM. */
	fake_sleep_hook = hook_rmid;
	assert_int_equal(semop_user(id, p, 1, NULL), -EIDRM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_pure),
		cmocka_unit_test_setup_teardown(test_values_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_undo_at_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocking_and_permissions, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
