/* Host tests: VMAs and the mmap family (src/mm/vma.c, mmap.c, mm.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/frame.h>
#include <ferrite/kmalloc.h>
#include <ferrite/vm.h>
#include <hal/hal_mmu.h>
#include "fake/fake.h"

#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
#define P(n) ((n) * PAGE_SIZE)

static size_t frames_at_start, kmalloc_at_start;

static int setup(void **state)
{
	(void)state;
	fake_mm_init(16UL << 20);
	return 0;
}

static int test_setup(void **state)
{
	frames_at_start = frames_free_count();
	kmalloc_at_start = kmalloc_live_bytes();
	struct mm *mm = mm_create();
	*state = mm;
	return mm ? 0 : -1;
}

/* Every test ends by checking nothing leaked once the mm is gone. */
static int test_teardown(void **state)
{
	mm_put(*state);
	assert_int_equal(frames_free_count(), frames_at_start);
	assert_int_equal(kmalloc_live_bytes(), kmalloc_at_start);
	return 0;
}

static struct vma vma_at(struct mm *mm, uintptr_t addr)
{
	struct vma v;
	assert_true(mm_find_vma_copy(mm, addr, &v));
	return v;
}

static void test_mmap_basic(void **state)
{
	struct mm *mm = *state;
	long a = mm_mmap(mm, 0, 10000, RW, ANON, NULL, 0);

	assert_true(a > 0);
	assert_true(IS_ALIGNED((uintptr_t)a, PAGE_SIZE));
	assert_true((uintptr_t)a + P(3) <= mm->mmap_base);
	struct vma v = vma_at(mm, a);
	assert_int_equal(v.start, a);
	assert_int_equal(v.end, a + P(3));
	assert_int_equal(v.flags & VM_PROT_MASK, RW);
	assert_int_equal(mm_resident_pages(mm), 0); /* lazy */

	long b = mm_mmap(mm, 0, P(1), PROT_READ, ANON, NULL, 0);
	assert_true(b > 0 && b < a); /* top down */
	assert_int_equal(mm_vma_count(mm), 2);
}

static void test_mmap_errors(void **state)
{
	struct mm *mm = *state;

	assert_int_equal(mm_mmap(mm, 0, 0, RW, ANON, NULL, 0), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0x400123, P(1), RW, ANON | MAP_FIXED, NULL, 0), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, P(1), RW, MAP_ANONYMOUS, NULL, 0), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, P(1), RW, MAP_PRIVATE, NULL, 0), -EBADF);
	assert_int_equal(mm_mmap(mm, 0, P(1), 0x100, ANON, NULL, 0), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, P(1), RW, ANON, NULL, 100), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, (size_t)-1, RW, ANON, NULL, 0), -ENOMEM);
	assert_int_equal(mm_mmap(mm, 0x400000, hal_user_max, RW, ANON | MAP_FIXED, NULL, 0), -ENOMEM);
	assert_int_equal(mm_mmap(mm, 0, P(1), RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x800000, NULL, 0),
			 -EOPNOTSUPP);

	assert_int_equal(mm_mmap(mm, 0x400000, P(4), RW, ANON | MAP_FIXED, NULL, 0), 0x400000);
	assert_int_equal(mm_mmap(mm, 0x402000, P(4), RW, ANON | MAP_FIXED_NOREPLACE, NULL, 0), -EEXIST);
	/* A hint that is taken is honoured, one that is not moves elsewhere. */
	assert_int_equal(mm_mmap(mm, 0x800000, P(1), RW, ANON, NULL, 0), 0x800000);
	long c = mm_mmap(mm, 0x401000, P(1), RW, ANON, NULL, 0);
	assert_true(c > 0 && c != 0x401000);

	assert_int_equal(mm_munmap(mm, 0x400001, P(1)), -EINVAL);
	assert_int_equal(mm_munmap(mm, 0x400000, 0), -EINVAL);
	assert_int_equal(mm_munmap(mm, 0x10000000, P(4)), 0); /* nothing there: fine */
}

static void test_munmap_split(void **state)
{
	struct mm *mm = *state;
	uintptr_t a = 0x400000;
	char buf[8];

	assert_int_equal(mm_mmap(mm, a, P(5), RW, ANON | MAP_FIXED, NULL, 0), a);
	for (int i = 0; i < 5; i++)
		assert_int_equal(mm_copy_out(mm, a + P(i), "page", 5), 0);
	assert_int_equal(mm_resident_pages(mm), 5);
	size_t free_before = frames_free_count();

	assert_int_equal(mm_munmap(mm, a + P(1), P(2)), 0); /* the middle */
	assert_int_equal(mm_vma_count(mm), 2);
	assert_int_equal(vma_at(mm, a).end, a + P(1));
	assert_int_equal(vma_at(mm, a + P(3)).start, a + P(3));
	assert_int_equal(vma_at(mm, a + P(3)).end, a + P(5));
	assert_false(mm_find_vma_copy(mm, a + P(1), &(struct vma){ 0 }));
	assert_int_equal(mm_resident_pages(mm), 3);
	assert_int_equal(frames_free_count(), free_before + 2);
	assert_int_equal(mm_copy_in(mm, buf, a + P(1), 1), -EFAULT);
	assert_int_equal(mm_copy_in(mm, buf, a + P(4), 5), 0);
	assert_string_equal(buf, "page");

	/* Across the hole and partly over both pieces. */
	assert_int_equal(mm_munmap(mm, a, P(4)), 0);
	assert_int_equal(mm_vma_count(mm), 1);
	assert_int_equal(vma_at(mm, a + P(4)).start, a + P(4));
}

static void test_mprotect_split(void **state)
{
	struct mm *mm = *state;
	uintptr_t a = 0x400000;

	assert_int_equal(mm_mmap(mm, a, P(6), RW, ANON | MAP_FIXED, NULL, 0), a);
	assert_int_equal(mm_copy_out(mm, a + P(2), "x", 1), 0);
	assert_int_equal(mm_mprotect(mm, a + P(2), P(2), PROT_READ), 0);
	assert_int_equal(mm_vma_count(mm), 3);
	assert_int_equal(vma_at(mm, a).flags & VM_PROT_MASK, RW);
	assert_int_equal(vma_at(mm, a + P(2)).flags & VM_PROT_MASK, PROT_READ);
	assert_int_equal(vma_at(mm, a + P(3)).end, a + P(4));
	assert_int_equal(vma_at(mm, a + P(4)).flags & VM_PROT_MASK, RW);

	phys_addr_t pa;
	unsigned prot;
	assert_true(hal_pt_translate(mm->pt, a + P(2), &pa, &prot));
	assert_false(prot & HAL_PROT_WRITE); /* the PTE followed */
	assert_int_equal(mm_fault(mm, a + P(2), VM_WRITE), -EACCES);
	assert_int_equal(mm_fault(mm, a + P(2), VM_READ), 0);

	assert_int_equal(mm_mprotect(mm, a + 1, P(1), PROT_READ), -EINVAL);
	assert_int_equal(mm_mprotect(mm, a, P(1), 0x80), -EINVAL);
	/* A hole in the range: ENOMEM and nothing changed. */
	assert_int_equal(mm_munmap(mm, a + P(5), P(1)), 0);
	assert_int_equal(mm_mprotect(mm, a + P(4), P(2), PROT_NONE), -ENOMEM);
	assert_int_equal(vma_at(mm, a + P(4)).flags & VM_PROT_MASK, RW);
	/* Back to RW: the page becomes writable again (it is not shared). */
	assert_int_equal(mm_mprotect(mm, a, P(5), RW), 0);
	assert_true(hal_pt_translate(mm->pt, a + P(2), &pa, &prot));
	assert_true(prot & HAL_PROT_WRITE);
}

static void test_mmap_fixed_replaces(void **state)
{
	struct mm *mm = *state;
	uintptr_t a = 0x400000;
	char c = 0;

	assert_int_equal(mm_mmap(mm, a, P(3), RW, ANON | MAP_FIXED, NULL, 0), a);
	assert_int_equal(mm_copy_out(mm, a + P(1), "z", 1), 0);
	assert_int_equal(mm_mmap(mm, a + P(1), P(1), PROT_READ, ANON | MAP_FIXED, NULL, 0), a + P(1));
	assert_int_equal(mm_vma_count(mm), 3);
	assert_int_equal(mm_copy_in(mm, &c, a + P(1), 1), 0);
	assert_int_equal(c, 0); /* fresh zero page */
}

static void test_exec_load(void **state)
{
	struct mm *mm = *state;
	uintptr_t text = 0x10000;
	char code[100], back[100];

	for (int i = 0; i < 100; i++)
		code[i] = (char)i;
	long r = mm_mmap(mm, text, P(2), PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, NULL, 0);
	assert_int_equal(r, text);
	/* Write across the page boundary into read-only text. */
	assert_int_equal(mm_copy_out(mm, text + PAGE_SIZE - 50, code, 100), 0);
	assert_int_equal(mm_copy_in(mm, back, text + PAGE_SIZE - 50, 100), 0);
	assert_memory_equal(code, back, 100);
	for (int i = 0; i < 2; i++) {
		phys_addr_t pa;
		unsigned prot;
		assert_true(hal_pt_translate(mm->pt, text + P(i), &pa, &prot));
		assert_int_equal(prot, HAL_PROT_READ | HAL_PROT_EXEC | HAL_PROT_USER);
	}
	assert_int_equal(mm_fault(mm, text, VM_WRITE), -EACCES);
	assert_int_equal(mm_fault(mm, text, VM_EXEC), 0);
	/* Outside any VMA even mm_copy_out fails. */
	assert_int_equal(mm_copy_out(mm, text + P(2), code, 1), -EFAULT);
}

static void test_brk(void **state)
{
	struct mm *mm = *state;
	uintptr_t start = 0x600123;

	assert_int_equal(mm_brk(mm, 0x700000), 0); /* exec has not set it */
	mm->brk_start = mm->brk = start;
	assert_int_equal(mm_brk(mm, 0), start);
	assert_int_equal(mm_brk(mm, start + 10000), start + 10000);
	assert_int_equal(mm_copy_out(mm, start + 9999, "b", 1), 0);
	assert_int_equal(mm_brk(mm, start + 30000), start + 30000);
	assert_int_equal(mm_vma_count(mm), 1); /* grown in place (merged) */
	assert_int_equal(mm_brk(mm, start - 1), start + 30000); /* below start: refused */
	assert_int_equal(mm_brk(mm, start + 10), start + 10);
	assert_int_equal(mm_copy_out(mm, start + 9999, "b", 1), -EFAULT);
	/* Growing into a mapping fails and leaves the break. */
	assert_int_equal(mm_mmap(mm, 0x610000, P(1), RW, ANON | MAP_FIXED, NULL, 0), 0x610000);
	assert_int_equal(mm_brk(mm, 0x620000), start + 10);
}

static void test_file_private(void **state)
{
	struct mm *mm = *state;
	char data[6000], back[6000];

	for (int i = 0; i < 6000; i++)
		data[i] = (char)(i * 7);
	struct file *f = fake_file_create(data, sizeof(data));
	long a = mm_mmap(mm, 0, P(3), RW, MAP_PRIVATE, f, 0);
	assert_true(a > 0);
	assert_int_equal(fake_file_refcount(f), 2);
	assert_int_equal(mm_copy_in(mm, back, a, 6000), 0);
	assert_memory_equal(data, back, 6000);
	/* Past EOF: zeros. */
	assert_int_equal(mm_copy_in(mm, back, a + 6000, 100), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(back[i], 0);
	/* Private: writes stay in memory. */
	assert_int_equal(mm_copy_out(mm, a, "XY", 2), 0);
	assert_int_equal(mm_copy_in(mm, back, a, 2), 0);
	assert_memory_equal(back, "XY", 2);

	/* An offset mapping, split by munmap (the file reference follows). */
	long b = mm_mmap(mm, 0, P(2), PROT_READ, MAP_PRIVATE, f, PAGE_SIZE);
	assert_true(b > 0);
	assert_int_equal(mm_copy_in(mm, back, b, 10), 0);
	assert_memory_equal(back, data + PAGE_SIZE, 10);
	assert_int_equal(mm_mmap(mm, 0, P(1), RW, MAP_SHARED, f, 0), -ENODEV);
	assert_int_equal(mm_munmap(mm, a + P(1), P(1)), 0);
	assert_int_equal(fake_file_refcount(f), 4);
	assert_int_equal(mm_munmap(mm, a, P(3)), 0);
	assert_int_equal(mm_munmap(mm, b, P(2)), 0);
	assert_int_equal(fake_file_refcount(f), 1);
	file_put(f);
}

static void test_populate_and_madvise(void **state)
{
	struct mm *mm = *state;
	char c = 1;
	long a = mm_mmap(mm, 0, P(4), RW, ANON | MAP_POPULATE, NULL, 0);

	assert_true(a > 0);
	assert_int_equal(mm_resident_pages(mm), 4);
	assert_int_equal(mm_copy_out(mm, a + P(1), "q", 1), 0);
	assert_int_equal(mm_madvise(mm, a, P(4), MADV_DONTNEED), 0);
	assert_int_equal(mm_resident_pages(mm), 0);
	assert_int_equal(mm_copy_in(mm, &c, a + P(1), 1), 0);
	assert_int_equal(c, 0);
	assert_int_equal(mm_madvise(mm, a + 1, P(1), MADV_DONTNEED), -EINVAL);
	assert_int_equal(mm_madvise(mm, a, P(8), MADV_NORMAL), -ENOMEM);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, test_setup, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_mmap_basic),
		T(test_mmap_errors),
		T(test_munmap_split),
		T(test_mprotect_split),
		T(test_mmap_fixed_replaces),
		T(test_exec_load),
		T(test_brk),
		T(test_file_private),
		T(test_populate_and_madvise),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
