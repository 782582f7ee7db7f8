/* Host tests: slab caches and kmalloc (src/mm/slab.c, kmalloc.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/frame.h>
#include <ferrite/kmalloc.h>
#include "fake/fake.h"

static int setup(void **state)
{
	(void)state;
	fake_mm_init(16UL << 20);
	return 0;
}

static void test_every_class(void **state)
{
	(void)state;
	size_t frames = frames_free_count();
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 32, 33, 64, 100, 128, 200, 256,
					500, 512, 1000, 1024, 1025, 2048, 2049, 4096, 5000,
					65536, 256 << 10 };

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		void *p[20];
		for (int j = 0; j < 20; j++) {
			p[j] = kmalloc(sizes[i]);
			assert_non_null(p[j]);
			memset(p[j], j, sizes[i]); /* ASan checks the size is real */
			for (int k = 0; k < j; k++)
				assert_ptr_not_equal(p[j], p[k]);
		}
		assert_true(kmalloc_live_bytes() >= 20 * sizes[i]);
		for (int j = 0; j < 20; j++)
			kfree(p[j]);
		assert_int_equal(kmalloc_live_bytes(), 0);
	}
	/* Empty slabs and large blocks went back to the frame allocator. */
	assert_int_equal(frames_free_count(), frames);
	kfree(NULL);
}

static void test_reuse(void **state)
{
	(void)state;
	void *a = kmalloc(40);
	void *b = kmalloc(40);
	kfree(a);
	void *c = kmalloc(50); /* same 64-byte class: the freed slot comes back */
	assert_ptr_equal(a, c);
	kfree(b);
	kfree(c);
}

static void test_many_slabs(void **state)
{
	(void)state;
	size_t frames = frames_free_count();
	enum { N = 1000 };
	void **p = kmalloc(N * sizeof(*p));

	for (int i = 0; i < N; i++) {
		p[i] = kmalloc(128);
		*(int *)p[i] = i;
	}
	assert_true(frames_free_count() < frames - N * 128 / PAGE_SIZE);
	for (int i = 0; i < N; i++)
		assert_int_equal(*(int *)p[i], i);
	for (int i = N - 1; i >= 0; i -= 2)
		kfree(p[i]);
	for (int i = 0; i < N; i += 2)
		kfree(p[i]);
	kfree(p);
	assert_int_equal(frames_free_count(), frames);
	assert_int_equal(kmalloc_live_bytes(), 0);
}

static void test_kzalloc_kcalloc(void **state)
{
	(void)state;
	unsigned char *p = kmalloc(300);
	memset(p, 0xff, 300);
	kfree(p);
	unsigned char *z = kzalloc(300);
	for (int i = 0; i < 300; i++)
		assert_int_equal(z[i], 0);
	kfree(z);

	int *arr = kcalloc(100, sizeof(int));
	assert_non_null(arr);
	for (int i = 0; i < 100; i++)
		assert_int_equal(arr[i], 0);
	kfree(arr);
	assert_null(kcalloc(SIZE_MAX / 2, 3)); /* overflow */
	assert_null(kcalloc((size_t)1 << 33, (size_t)1 << 33));
	assert_null(kmalloc(64UL << 20)); /* bigger than the largest block */
	assert_int_equal(kmalloc_live_bytes(), 0);
}

static void test_cleanup_free(void **state)
{
	(void)state;
	{
		__free(kfree) char *p = kmalloc(77);
		assert_non_null(p);
		assert_true(kmalloc_live_bytes() > 0);
	}
	assert_int_equal(kmalloc_live_bytes(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_class),
		cmocka_unit_test(test_reuse),
		cmocka_unit_test(test_many_slabs),
		cmocka_unit_test(test_kzalloc_kcalloc),
		cmocka_unit_test(test_cleanup_free),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
