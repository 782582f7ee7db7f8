/*
 * Not a test of its own: the init of the stack-protector boot tests
 * (scripts/run-tests.sh). Writes "stack" to /proc/ferrite/selftest, which
 * makes a kernel function return with a stack canary that no longer
 * matches: with ferrite.sysrq=1 the stack protector must panic. If the
 * write returns, prints why and powers off.
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

	printf("stack_smash: a kernel frame with a broken canary\n");
	fflush(stdout);
	if (fd < 0 || write(fd, "stack", 5) != 5)
		printf("STACK_SMASH_FAILED: %s\n", strerror(errno));
	else
		printf("STACK_SMASH_FAILED: the write returned\n");
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 1;
}
