/*
 * System calls newer than the toolchains' headers (issue 8, item 16): each
 * is called with arguments that fail harmlessly where it exists, and must
 * come back as an error (ENOSYS where it is not implemented) without
 * harming the caller. scripts/run-tests.sh checks the kernel log of the
 * guest run: an unimplemented number below 1000 is named, never logged as
 * an "unknown syscall".
 */
#include "common.h"
#include <sys/syscall.h>

static const struct {
	long nr;
	const char *name;
	long a0, a1, a2, a3, a4;
} calls[] = {
	{ 451, "cachestat", -1, 0, 0, 0, 0 },
	{ 452, "fchmodat2", -1, 0, 0, 0x40000000, 0 },
	{ 453, "map_shadow_stack", 0, 0, 0x40000000, 0, 0 },
	{ 454, "futex_wake", 0, 0, 0, 0x40000000, 0 },
	{ 455, "futex_wait", 0, 0, 0, 0x40000000, 0 },
	{ 457, "statmount", 0, 0, 0, 0x40000000, 0 },
	{ 458, "listmount", 0, 0, 0, 0x40000000, 0 },
	{ 459, "lsm_get_self_attr", 0, 0, 0, 0x40000000, 0 },
	{ 461, "lsm_list_modules", 0, 0, 0x40000000, 0, 0 },
	{ 468, "file_getattr", -1, 0, 0, 0, 0x40000000 },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		errno = 0;
		long r = syscall(calls[i].nr, calls[i].a0, calls[i].a1, calls[i].a2, calls[i].a3,
				 calls[i].a4);
		int e = errno;
		CHECK(r == -1 && (e == ENOSYS || e == EINVAL || e == EBADF || e == EFAULT ||
				  e == EOPNOTSUPP || e == EPERM || e == ENOENT),
		      "%s (%ld): %ld errno %d", calls[i].name, calls[i].nr, r, e);
		/* Twice: the kernel logs a missing call once. */
		errno = 0;
		r = syscall(calls[i].nr, calls[i].a0, calls[i].a1, calls[i].a2, calls[i].a3,
			    calls[i].a4);
		CHECK(r == -1 && errno == e, "%s again: %ld errno %d", calls[i].name, r, errno);
	}
	CHECK(getpid() > 0, "still alive");
	return 0;
}
