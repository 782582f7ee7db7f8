/*
 * Not a test of its own: the init of the panic= boot tests
 * (scripts/run-tests.sh). Writes 'c' to /proc/sysrq-trigger, which panics
 * Ferrite when the command line has ferrite.sysrq=1; if the write returns,
 * prints why and powers off.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY);

	printf("sysrq_crash: crashing the kernel\n");
	fflush(stdout);
	if (fd < 0 || write(fd, "c", 1) != 1)
		printf("SYSRQ_CRASH_FAILED: %s\n", strerror(errno));
	else
		printf("SYSRQ_CRASH_FAILED: the write returned\n");
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 1;
}
