/* An unknown syscall number returns -1/ENOSYS and the program goes on. */
#include "common.h"
#include <sys/syscall.h>

int main(void)
{
	CHECK_ERRNO(syscall(5000), ENOSYS);
	CHECK_ERRNO(syscall(5000, 1, 2, 3, 4, 5, 6), ENOSYS);
	CHECK_ERRNO(syscall(100000), ENOSYS);
	CHECK(getpid() > 0, "getpid after ENOSYS");
	return 0;
}
