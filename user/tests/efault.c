/*
 * Bad user pointers give -1/EFAULT, never a crash of the caller or the
 * kernel. Raw syscalls are used where a libc wrapper (or the vDSO) would
 * touch the pointer itself.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>

int main(void)
{
	char path[64];
	int fd;

	CHECK_ERRNO(write(1, launder_ptr(1), 10), EFAULT);

	snprintf(path, sizeof(path), "/tmp/efault.%d", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0, "open %s", path);
	CHECK(write(fd, "0123456789", 10) == 10, "write");
	CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
	CHECK_ERRNO(read(fd, launder_ptr(0), 10), EFAULT);
	CHECK_ERRNO(read(fd, launder_ptr(-4096UL), 10), EFAULT);
	CHECK_ERRNO(syscall(SYS_fstat, fd, (void *)8), EFAULT);
	CHECK(close(fd) == 0, "close");
	CHECK(unlink(path) == 0, "unlink");

	CHECK_ERRNO(open(launder_ptr(1), O_RDONLY), EFAULT);
	CHECK_ERRNO(syscall(SYS_openat, AT_FDCWD, NULL, O_RDONLY), EFAULT);
	CHECK_ERRNO(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)1), EFAULT);
	CHECK_ERRNO(syscall(SYS_uname, (void *)16), EFAULT);
	CHECK_ERRNO(syscall(SYS_wait4, -1, (void *)1, 0, NULL), ECHILD);

	/* A kernel address is as bad as an unmapped one. */
#if defined(__x86_64__)
	void *kernel_addr = launder_ptr(0xffffffff80000000UL);
#else
	void *kernel_addr = launder_ptr(0xffffffc000000000UL);
#endif
	CHECK_ERRNO(write(1, kernel_addr, 8), EFAULT);

	/* The caller still works after all of that. */
	printf("efault: still alive\n");
	return 0;
}
