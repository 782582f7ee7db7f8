/*
 * Not a test of its own: the init of the kernel-stack guard boot tests
 * (scripts/run-tests.sh). Writes "stack-overflow" to /proc/ferrite/selftest,
 * which makes the kernel recurse until its stack runs into the guard page
 * below it: with ferrite.sysrq=1 the overflow must be reported, naming
 * this task, and panic. If the write returns, prints why and powers off.
 * A word on the kernel command line (init's argv[1]) replaces the trigger:
 * "idle-stack-overflow" makes an idle task (the boot stack at -smp 1)
 * recurse into its stack's guard page instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *word = argc > 1 ? argv[1] : "stack-overflow";
	int fd = open("/proc/ferrite/selftest", O_WRONLY);

	printf("stack_overflow: kernel recursion into the stack's guard page (%s)\n", word);
	fflush(stdout);
	if (fd < 0 || write(fd, word, strlen(word)) != (ssize_t)strlen(word))
		printf("STACK_OVERFLOW_FAILED: %s\n", strerror(errno));
	else
		printf("STACK_OVERFLOW_FAILED: the write returned\n");
	fflush(stdout);
	reboot(RB_POWER_OFF);
	return 1;
}
