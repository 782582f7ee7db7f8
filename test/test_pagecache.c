/*
 * Host tests for the page cache of disk files (src/mm/pagecache.c,
 * src/fs/pagecache.c): an inode whose "device" is an array in memory,
 * read through its read_pages op. Fills (with readahead), read(2)
 * semantics at the end of file, write-through coherence, truncate, the
 * sequence check that throws away a fill raced by a write, and reclaim of
 * unmapped pages only. Kernel buffers only (uaccess stubbed as copies).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/pagecache.h>
#include <ferrite/vfs.h>
#include <ferrite/vm.h>
#include "fake/fake.h"
void fake_task_init(void); /* test/fake/fake_task.c */

#define DEV_PAGES 64
static unsigned char dev[DEV_PAGES * PAGE_SIZE]; /* the file's bytes on the "device" */
static unsigned reads, pages_read;               /* read_pages calls and pages */
static void (*during_read)(struct inode *ino);   /* runs inside one read_pages */

static int mem_read_pages(struct inode *ino, uint64_t index, void *buf, size_t npages)
{
	uint64_t off = index * PAGE_SIZE, size = (uint64_t)ino->size;

	reads++;
	pages_read += (unsigned)npages;
	if (during_read) {
		void (*f)(struct inode *) = during_read;
		during_read = NULL;
		f(ino);
	}
	if (off < size)
		memcpy(buf, dev + off, (size_t)MIN(npages * PAGE_SIZE, size - off));
	return 0;
}

static const struct inode_ops mem_iops = { .read_pages = mem_read_pages };

static struct inode *make_file(size_t size)
{
	struct inode *ino = inode_alloc(NULL, S_IFREG | 0644);

	assert_non_null(ino);
	ino->iops = &mem_iops;
	ino->size = (off_t)size;
	for (size_t i = 0; i < sizeof(dev); i++)
		dev[i] = (unsigned char)(i * 13 + i / PAGE_SIZE);
	reads = pages_read = 0;
	return ino;
}

static ssize_t rd(struct inode *ino, void *buf, size_t n, off_t off)
{
	struct iobuf b = iobuf_kernel(buf, n);
	return pagecache_read(ino, &b, &off);
}

/* The file system's write: the device first, then the cache. */
static void wr(struct inode *ino, const void *src, size_t n, uint64_t off)
{
	memcpy(dev + off, src, n);
	if (off + n > (uint64_t)ino->size)
		ino->size = (off_t)(off + n);
	pagecache_write(ino, off, src, n);
}

static int setup(void **state)
{
	(void)state;
	fake_mm_init(32 << 20);
	fake_task_init();
	return 0;
}

static void test_read_fill_readahead(void **state)
{
	(void)state;
	struct inode *ino = make_file(40 * PAGE_SIZE + 100);
	static unsigned char buf[50 * PAGE_SIZE];

	assert_int_equal(rd(ino, buf, 10, 5), 10);
	assert_memory_equal(buf, dev + 5, 10);
	assert_int_equal(reads, 1);
	assert_int_equal(pages_read, 16); /* one request for 64 KiB */
	assert_int_equal(rd(ino, buf, 3 * PAGE_SIZE, PAGE_SIZE), 3 * PAGE_SIZE);
	assert_int_equal(reads, 1); /* all cached */
	/* Up to the end of file, not past it; 0 at and past it. */
	assert_int_equal(rd(ino, buf, sizeof(buf), 0), 40 * PAGE_SIZE + 100);
	assert_memory_equal(buf, dev, 40 * PAGE_SIZE + 100);
	assert_int_equal(pages_read, 41); /* 16 + 16 + the 9 left */
	assert_int_equal(rd(ino, buf, 10, 40 * PAGE_SIZE + 100), 0);
	assert_int_equal(rd(ino, buf, 10, 1 << 30), 0);
	assert_int_equal(vm_object_resident(ino->pages), 41);
	inode_put(ino);
	assert_int_equal(pagecache_pages(), 0);
}

static void test_write_through_and_truncate(void **state)
{
	(void)state;
	struct inode *ino = make_file(3 * PAGE_SIZE);
	unsigned char buf[4 * PAGE_SIZE], w[300];
	struct frame *f;

	assert_int_equal(rd(ino, buf, 3 * PAGE_SIZE, 0), 3 * PAGE_SIZE);
	memset(w, 0xEE, sizeof(w));
	wr(ino, w, sizeof(w), PAGE_SIZE - 100); /* across a page boundary */
	unsigned before = reads;
	assert_int_equal(rd(ino, buf, 3 * PAGE_SIZE, 0), 3 * PAGE_SIZE);
	assert_int_equal(reads, before); /* from the cache, updated */
	assert_memory_equal(buf, dev, 3 * PAGE_SIZE);
	assert_int_equal(buf[PAGE_SIZE + 199], 0xEE);

	/* A mapping's reference keeps page 2 through a truncate: zeroed. */
	assert_int_equal(vm_object_cache_get(ino->pages, 2, &f), 0);
	ino->size = PAGE_SIZE + 10;
	pagecache_truncate(ino, PAGE_SIZE + 10);
	unsigned char *p1;
	struct frame *f1;
	assert_int_equal(vm_object_cache_get(ino->pages, 1, &f1), 0);
	p1 = frame_to_virt(f1);
	assert_int_equal(p1[9], dev[PAGE_SIZE + 9]);
	for (size_t i = 10; i < PAGE_SIZE; i++)
		assert_int_equal(p1[i], 0); /* the tail past the new end */
	frame_put(f1);
	assert_int_equal(vm_object_cache_get(ino->pages, 2, &f1), -ENXIO);
	unsigned char *p2 = frame_to_virt(f);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(p2[i], 0);
	frame_put(f);
	assert_int_equal(rd(ino, buf, sizeof(buf), 0), PAGE_SIZE + 10);
	/* Growing again: zeros, and the device's zeros are read. */
	memset(dev + PAGE_SIZE + 10, 0, sizeof(dev) - PAGE_SIZE - 10);
	ino->size = 3 * PAGE_SIZE;
	assert_int_equal(rd(ino, buf, sizeof(buf), 0), 3 * PAGE_SIZE);
	for (size_t i = PAGE_SIZE + 10; i < 3 * PAGE_SIZE; i++)
		assert_int_equal(buf[i], 0);
	inode_put(ino);
}

/* A write that lands while a fill is reading the device: the fill's
 * (old) data must not be inserted. */
static unsigned char race_byte = 0x5A;
static void racing_write(struct inode *ino)
{
	wr(ino, &race_byte, 1, 7);
}

static void test_fill_raced_by_write(void **state)
{
	(void)state;
	struct inode *ino = make_file(2 * PAGE_SIZE);
	unsigned char buf[16];

	assert_non_null(pagecache_of(ino));
	during_read = racing_write; /* a write while the first fill reads */
	assert_int_equal(rd(ino, buf, 16, 0), 16);
	assert_int_equal(buf[7], 0x5A);
	assert_int_equal(reads, 2); /* the first fill was thrown away */
	inode_put(ino);
}

static void test_reclaim_skips_mapped(void **state)
{
	(void)state;
	struct inode *ino = make_file(DEV_PAGES * PAGE_SIZE);
	static unsigned char buf[DEV_PAGES * PAGE_SIZE];
	struct frame *held;

	assert_int_equal(rd(ino, buf, sizeof(buf), 0), sizeof(buf));
	assert_int_equal(pagecache_pages(), DEV_PAGES);
	assert_int_equal(vm_object_cache_get(ino->pages, 5, &held), 0); /* "mapped" */
	size_t freed = pagecache_shrink(1000);
	assert_int_equal(freed, DEV_PAGES - 1);
	assert_int_equal(pagecache_pages(), 1);
	struct frame *again;
	assert_int_equal(vm_object_cache_get(ino->pages, 5, &again), 0);
	assert_ptr_equal(again, held);
	frame_put(again);
	frame_put(held);
	/* Read again after reclaim: the same bytes, from the device. */
	unsigned before = reads;
	assert_int_equal(rd(ino, buf, sizeof(buf), 0), sizeof(buf));
	assert_memory_equal(buf, dev, sizeof(buf));
	assert_true(reads > before);
	inode_put(ino);
	assert_int_equal(pagecache_pages(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_fill_readahead),
		cmocka_unit_test(test_write_through_and_truncate),
		cmocka_unit_test(test_fill_raced_by_write),
		cmocka_unit_test(test_reclaim_skips_mapped),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
