/*
 * execve's errors for bad dynamically linked programs, as Linux gives
 * them, and never a kernel fault: copies of dyn_auxv in /tmp whose
 * PT_INTERP names a missing file (ENOENT), a directory or a file without
 * execute permission (EACCES), a file that is no ELF or an ELF cut inside
 * its program headers (ELIBBAD), one shorter than an ELF header (EIO), or
 * a path without its NUL (ENOEXEC); and programs cut short (ENOEXEC).
 * qemu-user reports these itself, so the riscv64 reference run skips.
 */
#include "dyn_common.h"
#include <stdint.h>
#include <sys/stat.h>

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

static char prog[128], target[128], interp_path[512];
static off_t interp_off;
static size_t interp_size;

static void copy_file(const char *from, const char *to, size_t max, mode_t mode)
{
	char buf[8192];
	ssize_t n;
	size_t done = 0;
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);

	CHECK(in >= 0 && out >= 0, "open %s / %s", from, to);
	while (done < max && (n = read(in, buf, MIN(sizeof(buf), max - done))) > 0) {
		CHECK(write(out, buf, (size_t)n) == n, "write %s", to);
		done += (size_t)n;
	}
	close(in);
	close(out);
	CHECK(chmod(to, mode) == 0, "chmod %s", to);
}

/* Write len bytes of s (zero-padded to the PT_INTERP size) as prog's
 * interpreter path. */
static void set_interp(const char *s, size_t len)
{
	char buf[512] = { 0 };
	int fd = open(prog, O_WRONLY | O_CLOEXEC);

	CHECK(len <= interp_size, "interpreter path '%s' too long", s);
	memcpy(buf, s, len);
	CHECK(fd >= 0 && pwrite(fd, buf, interp_size, interp_off) == (ssize_t)interp_size,
	      "patch %s", prog);
	close(fd);
}

/* execve path in a child; return the errno it failed with (0: it ran). */
static int exec_errno(const char *path)
{
	int status;

	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		char *const argv[] = { (char *)path, NULL };
		char *const envp[] = { NULL };
		execve(path, argv, envp);
		_exit(errno);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status), "exec child died: status 0x%x", status);
	return WEXITSTATUS(status);
}

#define EXPECT(path, err, what)                                                         \
	do {                                                                            \
		int got_ = exec_errno(path);                                            \
		CHECK(got_ == (err), "%s: execve gave %d (%s), want %d (%s)", what,     \
		      got_, strerror(got_), (err), strerror(err));                      \
	} while (0)

static void interp_case(const char *name, int err, const char *what)
{
	set_interp(name, strlen(name) + 1);
	EXPECT(prog, err, what);
}

int main(int argc, char **argv)
{
	char dir[512], pie[600];
	int pid = (int)getpid();

	(void)argc;
	if (under_qemu_user())
		return 77;
	dyn_test_dir(argv[0], dir, sizeof(dir));
	snprintf(pie, sizeof(pie), "%s/dyn_auxv", dir);
	CHECK(dyn_read_interp(pie, interp_path, sizeof(interp_path), &interp_off,
			      &interp_size) == 0, "no PT_INTERP in %s", pie);
	snprintf(prog, sizeof(prog), "/tmp/dynerr%d-prog", pid);
	snprintf(target, sizeof(target), "/tmp/dynerr%d-ld", pid);
	copy_file(pie, prog, SIZE_MAX, 0755);

	/* The unchanged copy runs (its exit status is its own). */
	set_interp(interp_path, strlen(interp_path) + 1);
	EXPECT(prog, 0, "the intact copy");

	unlink(target);
	interp_case(target, ENOENT, "missing interpreter");
	interp_case("/tmp", EACCES, "interpreter is a directory");
	copy_file(interp_path, target, SIZE_MAX, 0644);
	interp_case(target, EACCES, "interpreter without execute permission");
	copy_file(interp_path, target, 100, 0755);
	interp_case(target, ELIBBAD, "interpreter cut inside its program headers");
	copy_file(interp_path, target, 40, 0755);
	interp_case(target, EIO, "interpreter shorter than an ELF header");
	char text[256];
	memset(text, '#', sizeof(text)); /* longer than an ELF header */
	int fd = open(target, O_WRONLY | O_TRUNC | O_CLOEXEC);
	CHECK(fd >= 0 && write(fd, text, sizeof(text)) == (ssize_t)sizeof(text), "write %s", target);
	close(fd);
	interp_case(target, ELIBBAD, "interpreter that is no ELF");
	char nonul[512];
	memset(nonul, 'a', interp_size);
	set_interp(nonul, interp_size);
	EXPECT(prog, ENOEXEC, "PT_INTERP without its NUL");

	/* The program itself cut short. */
	copy_file(pie, prog, 100, 0755);
	EXPECT(prog, ENOEXEC, "program cut inside its program headers");
	copy_file(pie, prog, 40, 0755);
	EXPECT(prog, ENOEXEC, "program shorter than an ELF header");
	copy_file(pie, prog, 0, 0755);
	EXPECT(prog, ENOEXEC, "empty program");

	unlink(prog);
	unlink(target);
	return 0;
}
