/*
 * Not a test of its own: the init of the kernel-stack guard boot tests
 * (scripts/run-tests.sh). Writes "stack-overflow" to /proc/ferrite/selftest,
 * which makes the kernel recurse until its stack runs into the guard page
 * below it: with ferrite.sysrq=1 the overflow must be reported, naming
 * this task, and panic. If the write returns, prints why and powers off.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
	int fd = open("/proc/ferrite/selftest", O_WRONLY);

	printf("stack_overflow: kernel recursion into the stack's guard page\n");
	fflush(stdout);
	if (fd < 0 || write(fd, "stack-overflow", 14) != 14)
		printf("STACK_OVERFLOW_FAILED: %s\n", strerror(errno));
	else
		printf("STACK_OVERFLOW_FAILED: the write returned\n");
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 1;
}
