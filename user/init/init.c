/*
 * Ferrite's /init: the first user process (pid 1).
 *
 * With a judge disk attached (judge.c, docs/judge.md) it runs the disk's
 * *_testcode.sh scripts and powers off. Otherwise it prints a banner,
 * makes sure PATH is set, starts an interactive login shell
 * (busybox ash, so /etc/profile sets the prompt), reaps every child that
 * ends (orphans are re-parented to pid 1), and powers the machine off when
 * the shell exits. A static glibc program; single-threaded, so no locking.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#include "judge.h"

#define DEFAULT_PATH "/bin:/sbin:/usr/bin:/usr/sbin"
#define SHELL "/bin/sh"

static void power_off(void)
{
	fflush(NULL);
	if (getpid() != 1) {
		/* Run by hand on a live system: never power it off. */
		fprintf(stderr, "init: not pid 1, not powering off\n");
		exit(0);
	}
	sync();
	reboot(RB_POWER_OFF);
	/* Only reached when the kernel refuses. */
	perror("init: reboot");
	exit(1);
}

static pid_t start_shell(void)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("init: fork");
		return -1;
	}
	if (pid == 0) {
		/* A leading '-' in argv[0] makes ash a login shell: it reads /etc/profile. */
		char *const argv[] = { "-sh", NULL };
		execve(SHELL, argv, environ);
		perror("init: exec " SHELL);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;

	if (!getenv("PATH"))
		setenv("PATH", DEFAULT_PATH, 1);
	if (!getenv("HOME"))
		setenv("HOME", "/root", 1);
	if (!getenv("TERM"))
		setenv("TERM", "linux", 1);
	if (getpid() == 1 && judge_run())
		power_off();

	printf("Ferrite init: pid %d, starting %s\n", (int)getpid(), SHELL);
	fflush(stdout);
	if (chdir("/root") < 0)
		(void)chdir("/");

	pid_t shell = start_shell();
	if (shell < 0)
		power_off();

	for (;;) {
		int status;
		pid_t pid = wait(&status);

		if (pid < 0) {
			if (errno == EINTR)
				continue;
			/* ECHILD with the shell gone should not happen; stop anyway. */
			perror("init: wait");
			break;
		}
		if (pid == shell) {
			printf("Ferrite init: shell exited (status 0x%x), powering off\n", status);
			break;
		}
		/* Any other pid is a reaped orphan; nothing more to do. */
	}
	power_off();
	return 0;
}
