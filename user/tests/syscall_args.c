/*
 * 32-bit system-call arguments with junk in the register's upper half: the
 * kernel must use the low 32 bits, as Linux does (its SYSCALL_DEFINE
 * wrappers narrow them). On riscv64 the calling convention lets a C
 * function assume such an argument is sign-extended, so an unnarrowed
 * handler could test one value and use another (a negative descriptor
 * passed zero-extended indexing past the table).
 */
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>

#define JUNK 0xdeadbeef00000000UL

int main(void)
{
	int fd = open("/", O_RDONLY);
	CHECK(fd >= 0, "open");
	/* -1 passed zero-extended, and with other junk above it. */
	CHECK_ERRNO(syscall(SYS_close, 0xffffffffUL), EBADF);
	CHECK_ERRNO(syscall(SYS_dup, 0xffffffffUL), EBADF);
	CHECK_ERRNO(syscall(SYS_fcntl, JUNK | 0x7fffffffUL, F_GETFD), EBADF);
	CHECK_ERRNO(syscall(SYS_dup3, fd, 0xffffffffUL, 0), EBADF);
	/* A valid descriptor with junk above it is that descriptor. */
	CHECK(syscall(SYS_fcntl, JUNK | (unsigned long)fd, F_GETFD) == 0, "fcntl with junk");
	long d = syscall(SYS_dup, JUNK | (unsigned long)fd);
	CHECK(d >= 0, "dup with junk");
	CHECK(syscall(SYS_close, JUNK | (unsigned long)d) == 0, "close with junk");
	/* Other 32-bit kinds: a pid, a signal number, flags. */
	CHECK(syscall(SYS_kill, JUNK | (unsigned long)getpid(), JUNK | 0UL) == 0, "kill pid, 0");
	CHECK(syscall(SYS_fcntl, fd, JUNK | F_GETFD) == 0, "fcntl cmd with junk");
	CHECK(syscall(SYS_getpgid, JUNK | 0UL) == getpgrp(), "getpgid(0) with junk");
	close(fd);
	printf("syscall_args: ok\n");
	return 0;
}
