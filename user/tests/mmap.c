/*
 * Anonymous mmap/munmap/mprotect: zeroed pages, an unmapped hole faults,
 * a read-only page can be read but a write kills the writer with SIGSEGV,
 * protection can be restored, bad arguments give EINVAL.
 */
#include "common.h"
#include <sys/mman.h>

#define PAGE 4096UL
#define NPAGES 8

static void write_byte(void *p)
{
	*(volatile char *)p = 42;
}

static void read_byte(void *p)
{
	(void)*(volatile char *)p;
}

int main(void)
{
	char *m = mmap(NULL, NPAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED, "mmap %lu bytes", NPAGES * PAGE);
	CHECK(((unsigned long)m & (PAGE - 1)) == 0, "mmap address %p not page aligned", (void *)m);
	for (unsigned long i = 0; i < NPAGES * PAGE; i++)
		CHECK(m[i] == 0, "fresh mmap byte %lu = %d", i, m[i]);
	for (unsigned long i = 0; i < NPAGES * PAGE; i++)
		m[i] = (char)(i * 7);
	for (unsigned long i = 0; i < NPAGES * PAGE; i++)
		CHECK(m[i] == (char)(i * 7), "mmap byte %lu lost its value", i);

	/* Unmap page 2: it faults, its neighbours keep their data. */
	CHECK(munmap(m + 2 * PAGE, PAGE) == 0, "munmap one page");
	expect_killed_by(run_in_child(read_byte, m + 2 * PAGE), SIGSEGV, "read of an unmapped page");
	expect_killed_by(run_in_child(write_byte, m + 2 * PAGE), SIGSEGV, "write to an unmapped page");
	CHECK(m[PAGE + 5] == (char)((PAGE + 5) * 7), "page before the hole changed");
	CHECK(m[3 * PAGE + 5] == (char)((3 * PAGE + 5) * 7), "page after the hole changed");

	/* Page 4 read-only: reads work, a write dies with SIGSEGV. */
	CHECK(mprotect(m + 4 * PAGE, PAGE, PROT_READ) == 0, "mprotect PROT_READ");
	CHECK(m[4 * PAGE + 1] == (char)((4 * PAGE + 1) * 7), "read of a read-only page");
	expect_killed_by(run_in_child(write_byte, m + 4 * PAGE), SIGSEGV, "write to a PROT_READ page");
	CHECK(m[4 * PAGE] == 0, "the failed write changed the page");

	/* PROT_NONE: even a read faults. Then back to read-write. */
	CHECK(mprotect(m + 4 * PAGE, PAGE, PROT_NONE) == 0, "mprotect PROT_NONE");
	expect_killed_by(run_in_child(read_byte, m + 4 * PAGE), SIGSEGV, "read of a PROT_NONE page");
	CHECK(mprotect(m + 4 * PAGE, PAGE, PROT_READ | PROT_WRITE) == 0, "mprotect back to RW");
	m[4 * PAGE] = 9;
	CHECK(m[4 * PAGE] == 9, "write after restoring PROT_WRITE");

	/* MAP_FIXED into the hole. */
	char *f = mmap(m + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(f == m + 2 * PAGE, "MAP_FIXED gave %p, want %p", (void *)f, (void *)(m + 2 * PAGE));
	CHECK(f[0] == 0 && f[PAGE - 1] == 0, "MAP_FIXED page not zero");
	f[0] = 1;

	/* Bad arguments. */
	CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL,
	      "mmap length 0 should be EINVAL");
	CHECK_ERRNO(munmap(m + 1, PAGE), EINVAL);
	CHECK_ERRNO(mprotect(m + 1, PAGE, PROT_READ), EINVAL);

	CHECK(munmap(m, NPAGES * PAGE) == 0, "munmap all");
	expect_killed_by(run_in_child(read_byte, m), SIGSEGV, "read after munmap of the whole area");

	/* A large mapping touched sparsely. */
	char *big = mmap(NULL, 64 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(big != MAP_FAILED, "mmap 64 MiB");
	for (unsigned long off = 0; off < (64UL << 20); off += 1 << 20)
		big[off] = 1;
	CHECK(munmap(big, 64 << 20) == 0, "munmap 64 MiB");
	return 0;
}
