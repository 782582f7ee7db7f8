/* Host tests: System V shared memory (src/ipc/shm.c, shm_attach.c, ipc_util.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/kmalloc.h>
#include <ferrite/vm.h>
#include "fake/fake.h"
#include "fake/fake_task.h"
#include "../src/ipc/sysv_shm.h"

long sys_shmget(key_t key, size_t size, int shmflg);
long sys_shmat(int shmid, const void *shmaddr, int shmflg);
long sys_shmdt(const void *shmaddr);
long sys_shmctl(int shmid, int cmd, struct shmid64_ds *buf);

static struct mm *mm;
static uintptr_t ubuf;
static size_t kmalloc_at_start, frames_at_start;

static int group_setup(void **state)
{
	fake_mm_init(16UL << 20);
	fake_task_init();
	sys_shmctl((int)sys_shmget(IPC_PRIVATE, 1, 0600), IPC_RMID, NULL); /* slot table */
	return 0;
}

static int setup(void **state)
{
	kmalloc_at_start = kmalloc_live_bytes();
	frames_at_start = frames_free_count();
	mm = mm_create();
	fake_proc.mm = mm;
	fake_proc.euid = fake_proc.egid = 0;
	ubuf = (uintptr_t)mm_mmap(mm, 0, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	return (long)ubuf > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	shm_exit(mm);
	fake_proc.mm = NULL;
	mm_put(mm);
	assert_int_equal(ipc_count_live(IPC_KIND_SHM), 0);
	assert_int_equal(kmalloc_live_bytes(), kmalloc_at_start);
	assert_int_equal(frames_free_count(), frames_at_start);
	return 0;
}

static unsigned long nattch(int id)
{
	struct shmid64_ds ds;
	assert_int_equal(sys_shmctl(id, IPC_STAT, (void *)ubuf), 0);
	assert_int_equal(mm_copy_in(mm, &ds, ubuf, sizeof(ds)), 0);
	return ds.shm_nattch;
}

static void test_get_errors(void **state)
{
	assert_int_equal(sys_shmget(IPC_PRIVATE, 0, 0600), -EINVAL);
	assert_int_equal(sys_shmget(IPC_PRIVATE, ~0UL, 0600), -EINVAL);
	assert_int_equal(sys_shmget(5, 4096, 0600), -ENOENT);
	int id = (int)sys_shmget(5, 4096, IPC_CREAT | 0600);
	assert_true(id >= 0);
	assert_int_equal(sys_shmget(5, 8192, 0600), -EINVAL); /* larger than it is */
	assert_int_equal(sys_shmget(5, 100, IPC_CREAT | IPC_EXCL | 0600), -EEXIST);
	assert_int_equal(sys_shmget(5, 100, 0600), id);
	fake_proc.euid = fake_proc.egid = 1000;
	assert_int_equal(sys_shmget(5, 100, 0600), -EACCES);
	assert_int_equal(sys_shmat(id, NULL, 0), -EACCES);
	assert_int_equal(sys_shmctl(id, IPC_RMID, NULL), -EPERM);
	fake_proc.euid = fake_proc.egid = 0;
	assert_int_equal(sys_shmat(id, (void *)0x10001, 0), -EINVAL); /* unaligned */
	assert_int_equal(sys_shmat(-1, NULL, 0), -EINVAL);
	assert_int_equal(sys_shmdt((void *)0x10000), -EINVAL); /* nothing there */
	assert_int_equal(sys_shmctl(id, IPC_RMID, NULL), 0);
	assert_int_equal(sys_shmctl(id, IPC_RMID, NULL), -EINVAL);
}

static void test_attach_shares_pages(void **state)
{
	int id = (int)sys_shmget(IPC_PRIVATE, 10000, 0600);
	long a = sys_shmat(id, NULL, 0);
	long b = sys_shmat(id, NULL, SHM_RDONLY);
	char buf[6];

	assert_true(a > 0 && b > 0 && a != b);
	assert_int_equal(nattch(id), 2);
	assert_int_equal(mm_copy_out(mm, a + 5000, "hello", 6), 0);
	assert_int_equal(mm_copy_in(mm, buf, b + 5000, 6), 0);
	assert_string_equal(buf, "hello");
	struct vma v;
	assert_true(mm_find_vma_copy(mm, b, &v));
	assert_int_equal(v.flags & VM_PROT_MASK, VM_READ);
	/* SHM_RND rounds a fixed address down; an occupied one is EINVAL. */
	long c = sys_shmat(id, (void *)(0x40000000UL + 123), SHM_RND);
	assert_int_equal(c, 0x40000000L);
	assert_int_equal(sys_shmat(id, (void *)0x40000000UL, 0), -EINVAL);
	assert_int_equal(sys_shmdt((void *)c), 0);
	assert_int_equal(sys_shmdt((void *)c), -EINVAL);
	assert_int_equal(sys_shmdt((void *)b), 0);
	assert_int_equal(nattch(id), 1);
	assert_int_equal(sys_shmctl(id, IPC_RMID, NULL), 0); /* a still attached */
}

static void test_deferred_rmid_frees_once(void **state)
{
	size_t freed = shm_segments_freed;
	int id = (int)sys_shmget(77, 3 * PAGE_SIZE, IPC_CREAT | 0600);
	long a = sys_shmat(id, NULL, 0);

	assert_int_equal(mm_copy_out(mm, a, "x", 1), 0);
	/* A forked address space inherits the attachment. */
	struct mm *child = mm_fork(mm);
	assert_non_null(child);
	assert_int_equal(shm_fork_attachments(mm, child), 0);
	assert_int_equal(nattch(id), 2);
	assert_int_equal(shm_attach_count(child), 1);

	assert_int_equal(sys_shmctl(id, IPC_RMID, NULL), 0);
	struct shmid64_ds ds;
	assert_int_equal(sys_shmctl(id, IPC_STAT, (void *)ubuf), 0); /* still there */
	assert_int_equal(mm_copy_in(mm, &ds, ubuf, sizeof(ds)), 0);
	assert_true(ds.shm_perm.mode & SHM_DEST);
	assert_int_equal(ds.shm_perm.key, IPC_PRIVATE);
	assert_int_equal(sys_shmget(77, 1, 0), -ENOENT); /* the key is gone */
	assert_int_equal(ipc_count_live(IPC_KIND_SHM), 1);

	assert_int_equal(sys_shmdt((void *)a), 0);
	assert_int_equal(shm_segments_freed, freed); /* child still attached */
	shm_exit(child); /* child exits */
	mm_put(child);
	assert_int_equal(shm_segments_freed, freed + 1);
	assert_int_equal(ipc_count_live(IPC_KIND_SHM), 0);
	assert_int_equal(sys_shmctl(id, IPC_STAT, (void *)ubuf), -EINVAL);
	shm_exit(mm);
	assert_int_equal(shm_segments_freed, freed + 1);
}

static void test_info(void **state)
{
	int id = (int)sys_shmget(IPC_PRIVATE, 2 * PAGE_SIZE, 0644);
	struct shm_info info;
	long max = sys_shmctl(0, SHM_INFO, (void *)ubuf);

	assert_true(max >= 0);
	assert_int_equal(mm_copy_in(mm, &info, ubuf, sizeof(info)), 0);
	assert_int_equal(info.used_ids, 1);
	assert_int_equal(info.shm_tot, 2);
	assert_int_equal(sys_shmctl(id % IPCMNI, SHM_STAT, (void *)ubuf), id);
	assert_true(sys_shmctl(0, IPC_INFO, (void *)ubuf) >= 0);
	assert_int_equal(sys_shmctl(0, IPC_INFO, (void *)8), -EFAULT);
	assert_int_equal(sys_shmctl(id, 1234, NULL), -EINVAL);
	assert_int_equal(sys_shmctl(id, IPC_RMID, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_shares_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deferred_rmid_frees_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_info, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
