/* Host tests: faults, copy-on-write, shared memory and uaccess
 * (src/mm/fault.c, mm.c, vm_object.c, uaccess.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/kmalloc.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <ferrite/vm.h>
#include <hal/hal_mmu.h>
#include <hal/hal_trap.h>
#include "fake/fake.h"

#undef current /* the macro would rewrite the struct cpu field name below */

#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
#define P(n) ((n) * PAGE_SIZE)

static struct process proc;
static struct task task;
static size_t frames_at_start, kmalloc_at_start;

/* Make mm the current process's address space. */
static void use_mm(struct mm *mm)
{
	for (int i = 0; i < RLIM_NLIMITS; i++) /* no limits (mm_limits.c reads them) */
		proc.rlim[i] = (struct rlimit64){ RLIM_INFINITY, RLIM_INFINITY };
	proc.mm = mm;
	task.proc = &proc;
	hal_cpu_self()->current = &task;
}

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
	use_mm(mm);
	*state = mm;
	return mm ? 0 : -1;
}

static int test_teardown(void **state)
{
	mm_put(*state);
	proc.mm = NULL;
	assert_int_equal(frames_free_count(), frames_at_start);
	assert_int_equal(kmalloc_live_bytes(), kmalloc_at_start);
	return 0;
}

static unsigned pte_prot(struct mm *mm, uintptr_t va)
{
	phys_addr_t pa;
	unsigned prot;
	return hal_pt_translate(mm->pt, va, &pa, &prot) ? prot : 0;
}

static struct frame *pte_frame(struct mm *mm, uintptr_t va)
{
	phys_addr_t pa;
	unsigned prot;
	return hal_pt_translate(mm->pt, va, &pa, &prot) ? phys_to_frame(pa) : NULL;
}

static void test_lazy_zero(void **state)
{
	struct mm *mm = *state;
	long a = mm_mmap(mm, 0, P(2), RW, ANON, NULL, 0);
	uint64_t v = 1;

	assert_int_equal(mm_resident_pages(mm), 0);
	assert_int_equal(copy_from_user(&v, (void *)(a + 8), sizeof(v)), 0);
	assert_int_equal(v, 0);
	assert_int_equal(mm_resident_pages(mm), 1);
	assert_int_equal(put_user((uint64_t)42, (uint64_t *)(a + P(1))), 0);
	assert_int_equal(get_user(v, (uint64_t *)(a + P(1))), 0);
	assert_int_equal(v, 42);
	assert_int_equal(vm_handle_fault(a + P(1) + 5, HAL_PROT_WRITE, true), 0);
	assert_int_equal(vm_handle_fault(0x1000000, HAL_PROT_READ, true), -EFAULT);
}

static void test_permissions(void **state)
{
	struct mm *mm = *state;
	long none = mm_mmap(mm, 0, P(1), PROT_NONE, ANON, NULL, 0);
	long ro = mm_mmap(mm, 0, P(1), PROT_READ, ANON, NULL, 0);
	char c = 'x';

	/* Mapped without the right: -EACCES (SEGV_ACCERR); copies: -EFAULT. */
	assert_int_equal(mm_fault(mm, none, VM_READ), -EACCES);
	assert_int_equal(mm_fault(mm, none, VM_WRITE), -EACCES);
	assert_int_equal(copy_from_user(&c, (void *)none, 1), -EFAULT);
	assert_int_equal(mm_fault(mm, ro, VM_READ), 0);
	assert_int_equal(mm_fault(mm, ro, VM_WRITE), -EACCES);
	assert_int_equal(mm_fault(mm, ro, VM_EXEC), -EACCES);
	assert_int_equal(copy_to_user((void *)ro, &c, 1), -EFAULT);
	assert_int_equal(copy_from_user(&c, (void *)ro, 1), 0);
	assert_int_equal(c, 0);
	assert_int_equal(pte_prot(mm, ro), HAL_PROT_READ | HAL_PROT_USER);
}

static void test_bad_user_pointers(void **state)
{
	struct mm *mm = *state;
	long a = mm_mmap(mm, 0x400000, P(1), RW, ANON | MAP_FIXED, NULL, 0);
	char buf[16] = { 0 };

	assert_int_equal(a, 0x400000);
	assert_int_equal(copy_from_user(buf, (void *)0x500000, 4), -EFAULT);
	assert_int_equal(copy_to_user((void *)0x500000, buf, 4), -EFAULT);
	assert_int_equal(copy_from_user(buf, NULL, 4), -EFAULT);
	assert_int_equal(copy_from_user(buf, (void *)(hal_user_max - 2), 4), -EFAULT);
	assert_int_equal(copy_from_user(buf, (void *)-16L, 4), -EFAULT);
	/* Straddling the end of the mapping: the whole copy fails. */
	assert_int_equal(copy_from_user(buf, (void *)(a + P(1) - 2), 4), -EFAULT);
	assert_int_equal(copy_from_user(buf, (void *)0x500000, 0), 0);
	assert_int_equal(clear_user((void *)a, P(1)), 0);
	assert_int_equal(clear_user((void *)a, P(1) + 1), -EFAULT);
	/* No address space at all (a kernel thread). */
	proc.mm = NULL;
	assert_int_equal(copy_from_user(buf, (void *)a, 4), -EFAULT);
	proc.mm = mm;
}

/* The _upto copies stop at the first inaccessible page and say how far
 * they got; length 0 and a range outside the user half copy nothing. */
static void test_copy_upto(void **state)
{
	struct mm *mm = *state;
	uintptr_t a = 0x400000;
	static char in[P(2)], out[P(2)];

	assert_int_equal(mm_mmap(mm, a, P(1), RW, ANON | MAP_FIXED, NULL, 0), a);
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char)(i * 13 + 1);
	/* Unaligned start, running past the end of the mapping. */
	assert_int_equal(copy_to_user_upto((void *)(a + 5), in, P(2)), P(1) - 5);
	assert_int_equal(copy_from_user_upto(out, (void *)(a + 5), P(1)), P(1) - 5);
	assert_memory_equal(out, in, P(1) - 5);
	/* Short, and exactly to the end. */
	assert_int_equal(copy_from_user_upto(out, (void *)(a + P(1) - 3), 3), 3);
	assert_memory_equal(out, in + P(1) - 8, 3);
	assert_int_equal(copy_to_user_upto((void *)a, in, 0), 0);
	assert_int_equal(copy_from_user_upto(out, (void *)(a + P(1)), 8), 0);
	assert_int_equal(copy_from_user_upto(out, (void *)(hal_user_max - 2), 4), 0);
	assert_int_equal(copy_to_user_upto(NULL, in, 4), 0);
}

static void test_strncpy_from_user(void **state)
{
	struct mm *mm = *state;
	uintptr_t a = 0x400000;
	char out[32];

	assert_int_equal(mm_mmap(mm, a, P(2), RW, ANON | MAP_FIXED, NULL, 0), a);
	/* A string that crosses the page boundary. */
	assert_int_equal(copy_to_user((void *)(a + P(1) - 3), "hello", 6), 0);
	assert_int_equal(strncpy_from_user(out, (void *)(a + P(1) - 3), sizeof(out)), 5);
	assert_string_equal(out, "hello");
	assert_int_equal(strncpy_from_user(out, (void *)(a + P(1) - 3), 6), 5);
	assert_int_equal(strncpy_from_user(out, (void *)(a + P(1) - 3), 5), -ENAMETOOLONG);
	/* Runs off the end of the mapping without a NUL. */
	assert_int_equal(clear_user((void *)a, P(2)), 0);
	memset(out, 'a', sizeof(out));
	assert_int_equal(copy_to_user((void *)(a + P(2) - 8), out, 8), 0);
	assert_int_equal(strncpy_from_user(out, (void *)(a + P(2) - 8), 32), -EFAULT);
	assert_int_equal(strncpy_from_user(out, (void *)0x900000, 32), -EFAULT);
}

static void test_cow_fork(void **state)
{
	struct mm *parent = *state;
	long a = mm_mmap(parent, 0, P(2), RW, ANON, NULL, 0);
	char c;

	assert_int_equal(copy_to_user((void *)a, "A", 1), 0);
	struct frame *orig = pte_frame(parent, a);
	struct mm *child = mm_fork(parent);
	assert_non_null(child);
	assert_int_equal(frame_refcount(orig), 2);
	assert_ptr_equal(pte_frame(child, a), orig);
	assert_false(pte_prot(parent, a) & HAL_PROT_WRITE);
	assert_false(pte_prot(child, a) & HAL_PROT_WRITE);
	assert_int_equal(mm_resident_pages(child), 1);

	use_mm(child);
	assert_int_equal(copy_to_user((void *)a, "B", 1), 0);
	assert_ptr_not_equal(pte_frame(child, a), orig);
	assert_true(pte_prot(child, a) & HAL_PROT_WRITE);
	assert_int_equal(frame_refcount(orig), 1);

	use_mm(parent);
	assert_int_equal(copy_from_user(&c, (void *)a, 1), 0);
	assert_int_equal(c, 'A'); /* the child's write stayed in the child */
	/* The parent is the last sharer: its write reuses the frame. */
	assert_int_equal(copy_to_user((void *)a, "C", 1), 0);
	assert_ptr_equal(pte_frame(parent, a), orig);
	assert_int_equal(mm_copy_in(child, &c, a, 1), 0);
	assert_int_equal(c, 'B');
	/* A page first touched after the fork is private to each. */
	assert_int_equal(copy_to_user((void *)(a + P(1)), "P", 1), 0);
	assert_int_equal(mm_copy_in(child, &c, a + P(1), 1), 0);
	assert_int_equal(c, 0);
	mm_put(child);
	assert_int_equal(frame_refcount(orig), 1);
}

static void test_shared_anon_fork(void **state)
{
	struct mm *parent = *state;
	long a = mm_mmap(parent, 0, P(3), RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
	char c = 0;

	assert_true(a > 0);
	assert_int_equal(copy_to_user((void *)a, "1", 1), 0);
	struct mm *child = mm_fork(parent);
	assert_non_null(child);
	use_mm(child);
	assert_int_equal(copy_to_user((void *)a, "2", 1), 0);
	/* A page touched first in the child after the fork is shared too. */
	assert_int_equal(copy_to_user((void *)(a + P(2)), "3", 1), 0);
	use_mm(parent);
	assert_int_equal(copy_from_user(&c, (void *)a, 1), 0);
	assert_int_equal(c, '2');
	assert_int_equal(copy_from_user(&c, (void *)(a + P(2)), 1), 0);
	assert_int_equal(c, '3');
	assert_ptr_equal(pte_frame(parent, a), pte_frame(child, a));
	/* munmap in the parent does not free the child's view. */
	assert_int_equal(mm_munmap(parent, a, P(3)), 0);
	assert_int_equal(mm_copy_in(child, &c, a + P(2), 1), 0);
	assert_int_equal(c, '3');
	mm_put(child);
}

static void test_vm_object_two_mms(void **state)
{
	struct mm *a = *state;
	struct mm *b = mm_create();
	struct vm_object *obj = vm_object_create(4);
	char c = 0;

	assert_non_null(obj);
	assert_int_equal(vm_object_resident(obj), 0);
	long va = mm_map_object(a, 0, P(2), RW, MAP_SHARED, obj, 1);
	long vb = mm_map_object(b, 0x700000, P(4), PROT_READ, MAP_SHARED | MAP_FIXED, obj, 0);
	assert_true(va > 0);
	assert_int_equal(vb, 0x700000);
	assert_int_equal(mm_map_object(b, 0, P(4), RW, MAP_SHARED, obj, 1), -EINVAL);
	assert_int_equal(mm_copy_out(a, va + 10, "S", 1), 0);
	assert_int_equal(mm_copy_in(b, &c, vb + P(1) + 10, 1), 0); /* pgoff 1 */
	assert_int_equal(c, 'S');
	assert_int_equal(mm_fault(b, vb, VM_WRITE), -EACCES); /* read-only attach */
	assert_int_equal(vm_object_resident(obj), 1); /* both touched page 1 */
	/* A private mapping of the object copies on write. */
	long vp = mm_map_object(b, 0, P(1), RW, MAP_PRIVATE, obj, 1);
	assert_int_equal(mm_copy_out(b, vp + 10, "T", 1), 0);
	assert_int_equal(mm_copy_in(a, &c, va + 10, 1), 0);
	assert_int_equal(c, 'S');
	vm_object_put(obj); /* the mappings keep it alive */
	assert_int_equal(mm_copy_in(b, &c, vb + P(1) + 10, 1), 0);
	assert_int_equal(c, 'S');
	mm_put(b);
}

static void test_stack_growth(void **state)
{
	struct mm *mm = *state;
	uintptr_t top = mm->stack_top;
	long s = mm_mmap(mm, top - P(4), P(4), RW, ANON | MAP_FIXED | MAP_GROWSDOWN | MAP_STACK, NULL, 0);
	struct vma v;

	assert_int_equal(s, top - P(4));
	assert_int_equal(mm_fault(mm, top - P(10) + 3, VM_WRITE), 0);
	assert_true(mm_find_vma_copy(mm, top - P(10), &v));
	assert_int_equal(v.start, top - P(10));
	assert_int_equal(v.end, top);
	/* uaccess grows it too (a big frame pushed by the kernel). */
	assert_int_equal(copy_to_user((void *)(top - P(12)), "s", 1), 0);
	/* Beyond the stack limit: no. */
	assert_int_equal(mm_fault(mm, top - MM_STACK_MAX - P(1), VM_WRITE), -EFAULT);
	assert_int_equal(mm_vma_count(mm), 1);
}

static void test_fork_leak_free(void **state)
{
	struct mm *mm = *state;
	long a = mm_mmap(mm, 0, P(8), RW, ANON | MAP_POPULATE, NULL, 0);
	long s = mm_mmap(mm, 0, P(2), RW, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, NULL, 0);
	size_t free_before = frames_free_count();

	assert_true(a > 0 && s > 0);
	for (int round = 0; round < 5; round++) {
		struct mm *child = mm_fork(mm);
		assert_non_null(child);
		use_mm(child);
		assert_int_equal(clear_user((void *)a, P(8)), 0); /* copies every page */
		use_mm(mm);
		mm_put(child);
		assert_int_equal(frames_free_count(), free_before);
	}
	assert_int_equal(mm_resident_pages(mm), 10);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, test_setup, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_lazy_zero),
		T(test_permissions),
		T(test_bad_user_pointers),
		T(test_strncpy_from_user),
		T(test_copy_upto),
		T(test_cow_fork),
		T(test_shared_anon_fork),
		T(test_vm_object_two_mms),
		T(test_stack_growth),
		T(test_fork_leak_free),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
