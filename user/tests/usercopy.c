/*
 * User copies and memcpy/memset in the kernel: data written and read through
 * a pipe at every alignment and odd length comes back byte for byte, and
 * read()/write() with an unmapped buffer fail with EFAULT.
 */
#include "common.h"
#include <sys/mman.h>

static unsigned char src[8192 + 64], dst[8192 + 64];

int main(void)
{
	static const size_t lens[] = { 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 4095, 4096, 4097, 8191 };
	int fds[2];

	CHECK(pipe(fds) == 0, "pipe");
	for (size_t i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(i * 7 + 3);
	for (int so = 0; so < 8; so++) {
		for (int dofs = 0; dofs < 8; dofs++) {
			for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
				size_t n = lens[l];
				memset(dst, 0xee, sizeof(dst));
				CHECK(write(fds[1], src + so, n) == (ssize_t)n, "write %zu", n);
				CHECK(read(fds[0], dst + dofs, n) == (ssize_t)n, "read %zu", n);
				CHECK(!memcmp(dst + dofs, src + so, n), "data %d/%d/%zu", so, dofs, n);
				for (int k = 0; k < dofs; k++)
					CHECK(dst[k] == 0xee, "underrun %d/%d/%zu", so, dofs, n);
				CHECK(dst[dofs + n] == 0xee, "overrun %d/%d/%zu", so, dofs, n);
			}
		}
	}
	/* A buffer whose second page is unmapped: EFAULT, not a crash. */
	unsigned char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED, "mmap");
	CHECK(munmap(m + 4096, 4096) == 0, "munmap");
	CHECK(write(fds[1], m + 4096, 10) == -1 && errno == EFAULT, "write from a hole");
	CHECK(write(fds[1], src, 10) == 10, "write");
	CHECK(read(fds[0], m + 4096, 10) == -1 && errno == EFAULT, "read into a hole");
	return 0;
}
