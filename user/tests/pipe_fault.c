/*
 * Pipes and bad user buffers: a read into a buffer that is bad from its
 * first byte fails with EFAULT and leaves the data in the pipe; a read or
 * a write whose buffer turns bad at a page boundary moves a prefix of the
 * bytes before it and reports its length; nothing is lost or duplicated.
 */
#include "common.h"
#include <sys/mman.h>

#define PAGE 4096

/* Two pages, the second inaccessible. */
static unsigned char *half_mapped(void)
{
	unsigned char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED, "mmap");
	CHECK(mprotect(p + PAGE, PAGE, PROT_NONE) == 0, "mprotect");
	return p;
}

static unsigned char data[2 * PAGE]; /* pattern(i) at i */

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 37 + (i >> 8));
}

/* Read exactly n bytes (all the pipe holds) and check them against the
 * pattern from index from. */
static void expect(int fd, size_t n, size_t from)
{
	static unsigned char got[2 * PAGE];

	CHECK(read(fd, got, sizeof(got)) == (ssize_t)n, "read %zu", n);
	for (size_t i = 0; i < n; i++)
		CHECK(got[i] == pattern(from + i), "byte %zu", from + i);
}

/*
 * The checks on a fresh pipe whose first lead bytes are read (through a
 * bad buffer first) before the partial transfers: lead moves where the
 * data sits in the ring, so the copies run word aligned or not.
 */
static void check_pipe(unsigned char *bad, size_t lead)
{
	int p[2];

	CHECK(pipe(p) == 0, "pipe");
	/* Bad from the first byte: EFAULT, the bytes stay. */
	CHECK(write(p[1], data, lead) == (ssize_t)lead, "write");
	CHECK_ERRNO(read(p[0], bad + PAGE, lead), EFAULT);
	expect(p[0], lead, 0);
	/* qemu-user checks a whole buffer before the host call: no partial
	 * transfers there. */
	if (under_qemu_user()) {
		close(p[0]);
		close(p[1]);
		return;
	}

	/* Bad from the second page: some of the first page is delivered
	 * (Linux: all of it; the count may stop short where a word straddles
	 * the boundary), the rest stays in the pipe. */
	CHECK(write(p[1], data, sizeof(data)) == (ssize_t)sizeof(data), "write");
	ssize_t r = read(p[0], bad, 2 * PAGE);
	CHECK(r > 0 && r <= PAGE, "partial read %zd", r);
	for (ssize_t i = 0; i < r; i++)
		CHECK(bad[i] == pattern((size_t)i), "delivered byte %zd", i);
	expect(p[0], sizeof(data) - (size_t)r, (size_t)r);

	/* A write from a buffer bad from the second page moves a prefix. */
	memcpy(bad, data, PAGE);
	ssize_t w = write(p[1], bad, 2 * PAGE);
	CHECK(w > 0 && w <= PAGE, "partial write %zd", w);
	CHECK_ERRNO(write(p[1], bad + PAGE, 10), EFAULT);
	expect(p[0], (size_t)w, 0);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	unsigned char *bad = half_mapped();

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = pattern(i);
	check_pipe(bad, 104);
	check_pipe(bad, 100);
	return 0;
}
