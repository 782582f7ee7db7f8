/* Host tests: the buddy frame allocator (src/mm/frame.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/frame.h>
#include <hal/hal_mmu.h>
#include "fake/fake.h"

#define RAM_BYTES (16UL << 20) /* 4096 frames */

static int setup(void **state)
{
	(void)state;
	fake_mm_init(RAM_BYTES);
	return 0;
}

static size_t count_max_blocks(void)
{
	void *blocks[64];
	size_t n = 0;

	while (n < 64 && (blocks[n] = pages_alloc(FRAME_MAX_ORDER)))
		n++;
	for (size_t i = 0; i < n; i++)
		pages_free(blocks[i], FRAME_MAX_ORDER);
	return n;
}

static void test_counts(void **state)
{
	(void)state;
	size_t total = frames_total_count();
	/* Everything but the frame array itself is free. */
	assert_true(total > RAM_BYTES / PAGE_SIZE - 64);
	assert_true(total <= RAM_BYTES / PAGE_SIZE);
	assert_int_equal(frames_free_count(), total);
}

static void test_alloc_put(void **state)
{
	(void)state;
	size_t before = frames_free_count();
	struct frame *f = frame_alloc();

	assert_non_null(f);
	assert_int_equal(frame_refcount(f), 1);
	assert_int_equal(frames_free_count(), before - 1);
	assert_ptr_equal(phys_to_frame(frame_to_phys(f)), f);
	assert_ptr_equal(frame_to_virt(f), phys_to_virt(frame_to_phys(f)));
	assert_true(IS_ALIGNED(frame_to_phys(f), PAGE_SIZE));
	frame_put(f);
	assert_int_equal(frames_free_count(), before);
}

static void test_zeroed(void **state)
{
	(void)state;
	struct frame *f = frame_alloc();
	memset(frame_to_virt(f), 0xab, PAGE_SIZE);
	frame_put(f);
	/* The same frame comes back first (LIFO) and must now be zero. */
	struct frame *z = frame_alloc_zeroed();
	const unsigned char *p = frame_to_virt(z);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(p[i], 0);
	frame_put(z);
}

static void test_refcount_shared(void **state)
{
	(void)state;
	size_t before = frames_free_count();
	struct frame *f = frame_alloc();

	frame_get(f);
	frame_get(f);
	assert_int_equal(frame_refcount(f), 3);
	frame_put(f);
	frame_put(f);
	assert_int_equal(frames_free_count(), before - 1); /* still owned */
	frame_put(f);
	assert_int_equal(frames_free_count(), before); /* freed exactly once */
	/* One put too many is a bug the allocator catches. */
	expect_assert_failure(frame_put(f));
	__atomic_store_n(&f->refcount, 0, __ATOMIC_RELAXED); /* undo for later tests */
}

static void test_split_merge(void **state)
{
	(void)state;
	size_t big = count_max_blocks();
	size_t before = frames_free_count();
	void *small[600];

	assert_true(big >= 2);
	/* Split: small allocations carve up big blocks. */
	for (int i = 0; i < 600; i++) {
		small[i] = pages_alloc(i % 3);
		assert_non_null(small[i]);
		assert_true(IS_ALIGNED(virt_to_phys(small[i]), PAGE_SIZE << (i % 3)));
	}
	assert_true(count_max_blocks() < big);
	/* Free in an interleaved order; buddies must merge back completely. */
	for (int i = 0; i < 600; i += 2)
		pages_free(small[i], i % 3);
	for (int i = 1; i < 600; i += 2)
		pages_free(small[i], i % 3);
	assert_int_equal(frames_free_count(), before);
	assert_int_equal(count_max_blocks(), big);
}

static void test_contiguous(void **state)
{
	(void)state;
	char *p = pages_alloc(3);
	assert_non_null(p);
	assert_true(IS_ALIGNED(virt_to_phys(p), PAGE_SIZE * 8));
	memset(p, 0x5a, PAGE_SIZE * 8); /* ASan: the whole run is ours */
	assert_int_equal(phys_to_frame(virt_to_phys(p))->order, 3);
	pages_free(p, 3);
	assert_null(pages_alloc(FRAME_MAX_ORDER + 1));
}

static void test_exhaustion(void **state)
{
	(void)state;
	size_t before = frames_free_count();
	struct frame **all = calloc(before + 1, sizeof(*all));
	size_t n = 0;

	while ((all[n] = frame_alloc()))
		n++;
	assert_int_equal(n, before);
	assert_int_equal(frames_free_count(), 0);
	assert_null(frame_alloc());
	assert_null(frame_alloc_zeroed());
	assert_null(pages_alloc(0));
	for (size_t i = 0; i < n; i++)
		frame_put(all[i]);
	free(all);
	assert_int_equal(frames_free_count(), before);
	assert_true(count_max_blocks() >= 2);
}

/* Frames freed on one CPU wait in its per-CPU cache: still counted free,
 * and another CPU that runs out gets them (the caches are drained before
 * an allocation fails). */
static void test_percpu_cache(void **state)
{
	(void)state;
	size_t before = frames_free_count();
	struct frame *f[40];

	fake_cpu_id = 1;
	for (int i = 0; i < 40; i++)
		assert_non_null(f[i] = frame_alloc());
	assert_int_equal(frames_free_count(), before - 40);
	for (int i = 0; i < 40; i++)
		frame_put(f[i]);
	assert_int_equal(frames_free_count(), before); /* parked on CPU 1, free */
	fake_cpu_id = 0;
	struct frame **all = calloc(before + 1, sizeof(*all));
	size_t n = 0;
	while ((all[n] = frame_alloc()))
		n++;
	assert_int_equal(n, before); /* CPU 1's cached frames included */
	for (size_t i = 0; i < n; i++)
		frame_put(all[i]);
	free(all);
	assert_int_equal(frames_free_count(), before);
	frame_pcp_drain_all();
	assert_int_equal(frames_free_count(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_alloc_put),
		cmocka_unit_test(test_zeroed),
		cmocka_unit_test(test_refcount_shared),
		cmocka_unit_test(test_split_merge),
		cmocka_unit_test(test_contiguous),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_percpu_cache),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
