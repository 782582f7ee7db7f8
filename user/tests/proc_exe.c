/*
 * /proc/self/exe and /proc/PID/exe: an absolute path naming this program
 * (the file argv[0] names), kept across fork, and executable:
 * busybox runs its applets through it, as Linux's does.
 */
#include "common.h"
#include <sys/stat.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	char self[4096], child[4096];
	struct stat a, b;
	int status;

	if (argc > 1 && !strcmp(argv[1], "again"))
		return 42;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0, "readlink /proc/self/exe");
	self[n] = '\0';
	CHECK(self[0] == '/', "absolute: %s", self);
	CHECK(n >= 9 && !strcmp(self + n - 9, "/proc_exe"), "names this program: %s", self);
	CHECK(stat(self, &a) == 0 && S_ISREG(a.st_mode), "stat %s", self);
	if (strchr(argv[0], '/')) {
		/* (Not stat("/proc/self/exe"): under qemu-user that is qemu.) */
		CHECK(stat(argv[0], &b) == 0, "stat %s", argv[0]);
		CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "one file: %s", argv[0]);
	}

	/* The child's own /proc/self/exe is ours; its /proc/PID/exe, seen from
	 * here, is an absolute path (under qemu-user it is qemu's, so it is not
	 * compared). */
	int p[2];
	CHECK(pipe(p) == 0, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		ssize_t m = readlink("/proc/self/exe", child, sizeof(child) - 1);
		if (m < 0)
			m = 0;
		write(p[1], child, (size_t)m);
		close(p[1]);
		pause();
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], child, sizeof(child) - 1);
	CHECK(n > 0, "the child's readlink");
	child[n > 0 ? n : 0] = '\0';
	CHECK(!strcmp(child, self), "the child runs the same program: %s", child);
	char link[64];
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)pid);
	n = readlink(link, child, sizeof(child) - 1);
	CHECK(n > 0 && child[0] == '/', "readlink %s", link);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);

	if (under_qemu_user()) {
		/* qemu-user cannot exec a riscv64 program without binfmt_misc. */
		printf("proc_exe: ok (exec of /proc/self/exe not tried under qemu-user)\n");
		return 0;
	}
	pid = fork();
	if (pid == 0) {
		char *const args[] = { "proc_exe", "again", NULL };
		execv("/proc/self/exe", args);
		_exit(1);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 42,
	      "exec of /proc/self/exe (status 0x%x)", status);
	CHECK_ERRNO(readlink("/proc/999999/exe", child, sizeof(child)), ENOENT);
	printf("proc_exe: ok\n");
	return 0;
}
