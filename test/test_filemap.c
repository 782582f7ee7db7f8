/* Host tests: MAP_SHARED / MAP_PRIVATE mappings of ramfs files — the file's
 * vm_object is its data, so read/write and mappings agree (src/mm/mmap.c,
 * fault.c, vm_object.c, src/fs/ramfs_file.c). Real mm, uaccess and ramfs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/frame.h>
#include <ferrite/kmalloc.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <ferrite/vfs.h>
#include <ferrite/vm.h>
#include <hal/hal_mmu.h>
#include "fake/fake.h"
#include "fake/fake_task.h"

#undef current

#define RW (PROT_READ | PROT_WRITE)
#define P(n) ((n) * PAGE_SIZE)

static struct process proc;
static struct task task;

static void use_mm(struct mm *mm)
{
	for (int i = 0; i < RLIM_NLIMITS; i++) /* no limits (mm_limits.c reads them) */
		proc.rlim[i] = (struct rlimit64){ RLIM_INFINITY, RLIM_INFINITY };
	proc.mm = mm;
	task.proc = &proc;
	hal_cpu_self()->current = &task;
}

static struct frame *pte_frame(struct mm *mm, uintptr_t va)
{
	phys_addr_t pa;
	unsigned prot;
	return hal_pt_translate(mm->pt, va, &pa, &prot) ? phys_to_frame(pa) : NULL;
}

static int setup(void **state)
{
	(void)state;
	fake_mm_init(32 << 20);
	fake_task_init(); /* the name-space rwlock needs a current task */
	struct super_block *sb = ramfs_create_sb();
	assert_non_null(sb);
	vfs_root = sb->root;
	return 0;
}

static void test_shared_file_mapping(void **state)
{
	(void)state;
	size_t frames0 = frames_free_count(), bytes0 = ramfs_data_bytes();
	struct file *f = vfs_open("/shm", O_CREAT | O_RDWR, 0600);
	struct mm *a = mm_create(), *b = mm_create();
	char buf[16];

	assert_false(IS_ERR(f));
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(vfs_truncate_inode(f->inode, P(2)), 0);
	use_mm(a);
	long ma = mm_mmap(a, 0, P(3), RW, MAP_SHARED, f, 0);
	long mb = mm_mmap(b, 0, P(2), RW, MAP_SHARED, f, 0);
	assert_true(ma > 0 && mb > 0);

	/* write(2) -> mapping, mapping -> read(2). */
	assert_int_equal(kernel_write(f, "hello", 5, 10), 5);
	assert_int_equal(copy_from_user(buf, (void *)(ma + 10), 5), 0);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(copy_to_user((void *)(ma + P(1) + 3), "world", 5), 0);
	assert_int_equal(kernel_read(f, buf, 5, P(1) + 3), 5);
	assert_memory_equal(buf, "world", 5);
	/* Two address spaces share the frames. */
	assert_int_equal(mm_fault(b, mb + P(1), VM_WRITE), 0);
	assert_ptr_equal(pte_frame(a, ma + P(1)), pte_frame(b, mb + P(1)));
	/* Past EOF: -ENXIO (SIGBUS), until the file grows. */
	assert_int_equal(mm_fault(a, ma + P(2), VM_READ), -ENXIO);
	assert_int_equal(copy_from_user(buf, (void *)(ma + P(2)), 1), -EFAULT);
	assert_int_equal(vfs_truncate_inode(f->inode, P(3)), 0);
	assert_int_equal(mm_fault(a, ma + P(2), VM_READ), 0);

	/* Shrinking: a mapped page is zeroed and kept, so a regrown file and
	 * the old mappings still agree. */
	assert_int_equal(vfs_truncate_inode(f->inode, 0), 0);
	assert_int_equal(vfs_truncate_inode(f->inode, P(2)), 0);
	assert_int_equal(copy_from_user(buf, (void *)(ma + P(1) + 3), 5), 0);
	assert_memory_equal(buf, "\0\0\0\0\0", 5);
	assert_int_equal(kernel_write(f, "again", 5, P(1)), 5);
	use_mm(b);
	assert_int_equal(copy_from_user(buf, (void *)(mb + P(1)), 5), 0);
	assert_memory_equal(buf, "again", 5);

	mm_put(a);
	mm_put(b);
	file_put(f);
	assert_int_equal(vfs_unlink_at(AT_FDCWD, "/shm"), 0);
	assert_int_equal(ramfs_data_bytes(), bytes0);
	assert_int_equal(frames_free_count(), frames0);
	proc.mm = NULL;
}

static void test_private_file_mapping(void **state)
{
	(void)state;
	size_t frames0 = frames_free_count();
	struct file *f = vfs_open("/priv", O_CREAT | O_RDWR, 0600);
	struct mm *mm = mm_create();
	char buf[8];

	assert_false(IS_ERR(f));
	use_mm(mm);
	assert_int_equal(kernel_write(f, "abcdef", 6, 0), 6);
	long m = mm_mmap(mm, 0, P(1), RW, MAP_PRIVATE, f, 0);
	assert_true(m > 0);
	assert_int_equal(copy_from_user(buf, (void *)m, 6), 0);
	assert_memory_equal(buf, "abcdef", 6);
	/* Before a write the page is the file's; a write copies it. */
	struct frame *shared = pte_frame(mm, m);
	assert_non_null(shared);
	assert_int_equal(copy_to_user((void *)m, "X", 1), 0);
	assert_ptr_not_equal(pte_frame(mm, m), shared);
	assert_int_equal(kernel_read(f, buf, 6, 0), 6);
	assert_memory_equal(buf, "abcdef", 6);
	/* Read-only fds: no writable shared mapping, and mprotect can't add it. */
	struct file *ro = vfs_open("/priv", O_RDONLY, 0);
	assert_false(IS_ERR(ro));
	assert_int_equal(mm_mmap(mm, 0, P(1), RW, MAP_SHARED, ro, 0), -EACCES);
	long r = mm_mmap(mm, 0, P(1), PROT_READ, MAP_SHARED, ro, 0);
	assert_true(r > 0);
	assert_int_equal(mm_mprotect(mm, r, P(1), RW), -EACCES);
	file_put(ro);
	mm_put(mm);
	proc.mm = NULL;
	file_put(f);
	assert_int_equal(vfs_unlink_at(AT_FDCWD, "/priv"), 0);
	assert_int_equal(frames_free_count(), frames0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_file_mapping),
		cmocka_unit_test(test_private_file_mapping),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
