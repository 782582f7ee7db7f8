/*
 * Host tests for src/fs/cpio.c: well-formed newc/crc archives, then every
 * truncation and a set of corruptions, which must give -EINVAL and never
 * read past the buffer (ASan watches heap copies of exact length).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/vfs.h>
#include "fake/fake.h"

struct builder {
	char buf[4096];
	size_t len;
};

static void pad4(struct builder *b)
{
	while (b->len % 4)
		b->buf[b->len++] = 0;
}

static void add(struct builder *b, const char *magic, const char *name, unsigned mode,
		const char *data, size_t size, unsigned rmaj, unsigned rmin)
{
	b->len += (size_t)sprintf(b->buf + b->len,
				  "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
				  magic, 1u, mode, 0u, 0u, 1u, 0u, (unsigned)size, 0u, 0u, rmaj,
				  rmin, (unsigned)strlen(name) + 1, 0u);
	memcpy(b->buf + b->len, name, strlen(name) + 1);
	b->len += strlen(name) + 1;
	pad4(b);
	memcpy(b->buf + b->len, data, size);
	b->len += size;
	pad4(b);
}

static void build(struct builder *b, const char *magic)
{
	b->len = 0;
	add(b, magic, "bin", 040755, "", 0, 0, 0);
	add(b, magic, "bin/hello", 0100755, "hi there\n", 9, 0, 0);
	add(b, magic, "bin/sh", 0120777, "hello", 5, 0, 0);
	add(b, magic, "dev/console", 020600, "", 0, 5, 1);
	add(b, magic, "TRAILER!!!", 0, "", 0, 0, 0);
}

static void parse_all(const char *magic)
{
	struct builder b;
	struct cpio_entry e;
	size_t off = 0;

	build(&b, magic);
	assert_int_equal(cpio_next(b.buf, b.len, &off, &e), 1);
	assert_int_equal(e.namelen, 3);
	assert_memory_equal(e.name, "bin", 3);
	assert_int_equal(e.mode, 040755);
	assert_int_equal(cpio_next(b.buf, b.len, &off, &e), 1);
	assert_int_equal(e.size, 9);
	assert_memory_equal(e.data, "hi there\n", 9);
	assert_int_equal(cpio_next(b.buf, b.len, &off, &e), 1);
	assert_int_equal(e.mode & 0170000, 0120000);
	assert_memory_equal(e.data, "hello", 5);
	assert_int_equal(cpio_next(b.buf, b.len, &off, &e), 1);
	assert_int_equal(e.rdevmajor, 5);
	assert_int_equal(e.rdevminor, 1);
	assert_int_equal(cpio_next(b.buf, b.len, &off, &e), 0);
	assert_int_equal(off, b.len);
}

static void test_newc(void **state)
{
	parse_all("070701");
}

static void test_crc(void **state)
{
	parse_all("070702");
}

static void test_truncated(void **state)
{
	struct builder b;

	build(&b, "070701");
	for (size_t n = 0; n < b.len; n++) {
		char *cut = malloc(n ? n : 1);
		struct cpio_entry e;
		size_t off = 0;
		int r;
		memcpy(cut, b.buf, n);
		while ((r = cpio_next(cut, n, &off, &e)) == 1)
			assert_true(off <= n);
		/* A prefix ending exactly at the trailer's padding still parses. */
		if (r == 0)
			assert_true(n >= b.len - 4);
		else
			assert_int_equal(r, -EINVAL);
		free(cut);
	}
}

static void test_corrupt(void **state)
{
	struct builder b;
	struct cpio_entry e;
	size_t off;

	/* Bad magic. */
	build(&b, "070707");
	off = 0;
	assert_int_equal(cpio_next(b.buf, b.len, &off, &e), -EINVAL);
	/* Non-hex digit in a field. */
	build(&b, "070701");
	b.buf[20] = 'g';
	off = 0;
	assert_int_equal(cpio_next(b.buf, b.len, &off, &e), -EINVAL);
	/* Huge file size. */
	build(&b, "070701");
	memcpy(b.buf + 6 + 8 * 6, "7FFFFFFF", 8);
	off = 0;
	assert_int_equal(cpio_next(b.buf, b.len, &off, &e), -EINVAL);
	/* Name size 0, and a name without its NUL. */
	build(&b, "070701");
	memcpy(b.buf + 6 + 8 * 11, "00000000", 8);
	off = 0;
	assert_int_equal(cpio_next(b.buf, b.len, &off, &e), -EINVAL);
	build(&b, "070701");
	memcpy(b.buf + 6 + 8 * 11, "00000003", 8);
	off = 0;
	assert_int_equal(cpio_next(b.buf, b.len, &off, &e), -EINVAL);
	/* Offset past the end. */
	off = b.len + 10;
	assert_int_equal(cpio_next(b.buf, b.len, &off, &e), -EINVAL);
	/* Random bytes everywhere. */
	srand(3);
	for (int k = 0; k < 2000; k++) {
		build(&b, "070701");
		for (int j = 0; j < 4; j++)
			b.buf[rand() % b.len] = (char)rand();
		char *copy = malloc(b.len);
		memcpy(copy, b.buf, b.len);
		off = 0;
		while (cpio_next(copy, b.len, &off, &e) == 1)
			assert_true(off <= b.len && (const char *)e.data + e.size <= copy + b.len);
		free(copy);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newc),
		cmocka_unit_test(test_crc),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
