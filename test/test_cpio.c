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

/* Records the parser's calls as text: "B name mode size rdev|D bytes|E". */
struct recorder {
	char log[8192];
	size_t len;
	int begins, ends;
	int fail_begin; /* return -ENOSPC from the n-th begin (1-based) */
};

static int rec_begin(void *ctx, const struct cpio_entry *e)
{
	struct recorder *r = ctx;

	r->begins++;
	if (r->fail_begin && r->begins == r->fail_begin)
		return -ENOSPC;
	assert_true(strlen(e->name) <= e->namelen); /* NUL-terminated */
	r->len += (size_t)snprintf(r->log + r->len, sizeof(r->log) - r->len, "B %s %o %zu %u,%u|",
				   e->name, (unsigned)e->mode, e->size, e->rdevmajor, e->rdevminor);
	return 0;
}

static int rec_data(void *ctx, const void *buf, size_t len)
{
	struct recorder *r = ctx;

	assert_true(len > 0);
	assert_true(r->len + len < sizeof(r->log));
	memcpy(r->log + r->len, buf, len);
	r->len += len;
	return 0;
}

static void rec_end(void *ctx)
{
	struct recorder *r = ctx;

	r->ends++;
	r->len += (size_t)snprintf(r->log + r->len, sizeof(r->log) - r->len, "|E|");
}

static const struct cpio_ops rec_ops = { rec_begin, rec_data, rec_end };

static const char expect_log[] = "B bin 40755 0 0,0||E|"
				 "B bin/hello 100755 9 0,0|hi there\n|E|"
				 "B bin/sh 120777 5 0,0|hello|E|"
				 "B dev/console 20600 0 5,1||E|";

/* Feed buf[0, len) in runs of chunk bytes (each a heap copy of exact size,
 * so ASan sees overreads). Return the feed result (bytes or -errno) and
 * leave the stream for cpio_stream_finish. */
static long feed_chunked(struct cpio_stream *s, const char *buf, size_t len, size_t chunk)
{
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < chunk ? len - done : chunk;
		char *c = malloc(n);
		long r;
		memcpy(c, buf + done, n);
		r = cpio_stream_feed(s, c, n);
		free(c);
		if (r < 0)
			return r;
		assert_true((size_t)r <= n);
		done += (size_t)r;
		if ((size_t)r < n)
			break;
	}
	return (long)done;
}

static void parse_all(const char *magic)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 111, 4096 };
	struct builder b;

	build(&b, magic);
	for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		struct cpio_stream *s = malloc(sizeof(*s));
		struct recorder r = { 0 };

		cpio_stream_init(s, &rec_ops, &r, 0, true);
		assert_int_equal(feed_chunked(s, b.buf, b.len, chunks[k]), (long)b.len);
		assert_int_equal(cpio_stream_finish(s), 0);
		r.log[r.len] = '\0';
		assert_string_equal(r.log, expect_log);
		assert_int_equal(r.begins, 4);
		assert_int_equal(r.ends, 4);
		free(s);
	}
}

static void test_newc(void **state)
{
	parse_all("070701");
}

static void test_crc(void **state)
{
	parse_all("070702");
}

/* With stop_at_trailer the parser stops after the first archive's trailer
 * (the rest may be a gzip member); without, zero padding and a second
 * archive follow in the same stream. */
static void test_concatenated(void **state)
{
	static char two[8192];
	struct cpio_stream *s = malloc(sizeof(*s));
	struct recorder r = { 0 };
	struct builder b;
	size_t len;

	build(&b, "070701");
	memcpy(two, b.buf, b.len);
	memset(two + b.len, 0, 512);
	memcpy(two + b.len + 512, b.buf, b.len);
	len = 2 * b.len + 512;

	cpio_stream_init(s, &rec_ops, &r, 0, true);
	assert_int_equal(cpio_stream_feed(s, two, len), (long)b.len);
	assert_int_equal(cpio_stream_finish(s), 0);
	assert_int_equal(r.begins, 4);

	for (size_t chunk = 1; chunk <= 4096; chunk = chunk * 3 + 1) {
		memset(&r, 0, sizeof(r));
		cpio_stream_init(s, &rec_ops, &r, 0, false);
		assert_int_equal(feed_chunked(s, two, len, chunk), (long)len);
		assert_int_equal(cpio_stream_finish(s), 0);
		assert_int_equal(r.begins, 8);
		assert_int_equal(r.ends, 8);
	}
	free(s);
}

static void test_truncated(void **state)
{
	struct cpio_stream *s = malloc(sizeof(*s));
	struct builder b;

	build(&b, "070701");
	for (size_t n = 0; n < b.len; n++) {
		struct recorder r = { 0 };
		long fed;
		int fin;

		cpio_stream_init(s, &rec_ops, &r, 0, true);
		fed = feed_chunked(s, b.buf, n, 5);
		assert_int_equal(fed, (long)n);
		fin = cpio_stream_finish(s);
		/* Every entry begun is ended, even the cut one. */
		assert_int_equal(r.begins, r.ends);
		/* A cut inside a header or name or data is an error; a cut
		 * between entries (or in the final pad) leaves whole entries. */
		r.log[r.len] = '\0';
		/* (a cut entry is ended after part of its data) */
		size_t cmp = r.len;
		if (fin && (cmp > strlen(expect_log) || memcmp(r.log, expect_log, cmp)))
			cmp -= 3;
		assert_memory_equal(r.log, expect_log, cmp);
		if (fin == 0)
			assert_true(n == 0 || !strcmp(r.log + r.len - 3, "|E|"));
		else
			assert_int_equal(fin, -EINVAL);
		if (n == 50 || n == 112 + 70)
			assert_int_equal(fin, -EINVAL);
		if (n >= b.len - 3)
			assert_int_equal(fin, 0);
	}
	free(s);
}

static long parse_whole(const struct builder *b)
{
	struct cpio_stream *s = malloc(sizeof(*s));
	struct recorder r = { 0 };
	long ret;

	cpio_stream_init(s, &rec_ops, &r, 0, true);
	ret = feed_chunked(s, b->buf, b->len, b->len);
	cpio_stream_finish(s);
	assert_int_equal(r.begins, r.ends);
	free(s);
	return ret;
}

static void test_corrupt(void **state)
{
	struct builder b;

	/* Bad magic. */
	build(&b, "070707");
	assert_int_equal(parse_whole(&b), -EINVAL);
	/* Non-hex digit in a field. */
	build(&b, "070701");
	b.buf[20] = 'g';
	assert_int_equal(parse_whole(&b), -EINVAL);
	/* Name size 0, a name too long, and a name without its NUL. */
	build(&b, "070701");
	memcpy(b.buf + 6 + 8 * 11, "00000000", 8);
	assert_int_equal(parse_whole(&b), -EINVAL);
	build(&b, "070701");
	memcpy(b.buf + 6 + 8 * 11, "00001002", 8);
	assert_int_equal(parse_whole(&b), -EINVAL);
	build(&b, "070701");
	memcpy(b.buf + 6 + 8 * 11, "00000003", 8);
	assert_int_equal(parse_whole(&b), -EINVAL);
	/* A callback's error stops the parse with that error. */
	{
		struct cpio_stream *s = malloc(sizeof(*s));
		struct recorder r = { .fail_begin = 2 };
		build(&b, "070701");
		cpio_stream_init(s, &rec_ops, &r, 0, true);
		assert_int_equal(cpio_stream_feed(s, b.buf, b.len), -ENOSPC);
		cpio_stream_finish(s);
		free(s);
	}
	/* Random bytes everywhere: an error or a parse, never a crash, and
	 * every begin has its end. */
	srand(3);
	for (int k = 0; k < 2000; k++) {
		build(&b, "070701");
		for (int j = 0; j < 4; j++)
			b.buf[rand() % b.len] = (char)rand();
		parse_whole(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newc),	     cmocka_unit_test(test_crc),
		cmocka_unit_test(test_concatenated), cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
