/*
 * Helpers of the dynamic-linking tests (dynamic.tests): where the tests
 * and their library live, the interpreter a program names, and how to run
 * a program and collect its status and output.
 */
#ifndef FERRITE_USER_TESTS_DYN_COMMON_H
#define FERRITE_USER_TESTS_DYN_COMMON_H

#include "common.h"
#include <elf.h>
#include <fcntl.h>
#include <libgen.h>

/* The directory holding this test (argv[0] is its path). */
static inline void dyn_test_dir(const char *argv0, char *dir, size_t len)
{
	char copy[512];

	snprintf(copy, sizeof(copy), "%s", argv0);
	snprintf(dir, len, "%s", dirname(copy));
}

/* Read the PT_INTERP string of the ELF file at path into buf (and its file
 * offset and size into *off, *size). Return 0, or -1. */
static inline int dyn_read_interp(const char *path, char *buf, size_t len, off_t *off,
				  size_t *size)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret = -1;

	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh))
		goto out;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != sizeof(ph))
			goto out;
		if (ph.p_type != PT_INTERP || ph.p_filesz >= len)
			continue;
		if (pread(fd, buf, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz)
			goto out;
		buf[ph.p_filesz] = '\0';
		if (off)
			*off = (off_t)ph.p_offset;
		if (size)
			*size = ph.p_filesz;
		ret = 0;
		break;
	}
out:
	close(fd);
	return ret;
}

/* The interpreter's path on this machine: under qemu-user the target's
 * libraries live below QEMU_LD_PREFIX. */
static inline void dyn_host_path(const char *path, char *buf, size_t len)
{
	const char *prefix = under_qemu_user() ? getenv("QEMU_LD_PREFIX") : NULL;

	snprintf(buf, len, "%s%s", prefix ? prefix : "", path);
}

/* Run path with argv and envp; the child's stdout and stderr go to out
 * (NUL-terminated, truncated to len). Return the wait status. */
static inline int dyn_run(const char *path, char *const argv[], char *const envp[], char *out,
			  size_t len)
{
	int fds[2], status;
	size_t used = 0;
	ssize_t n;

	CHECK(pipe(fds) == 0, "pipe");
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		test_execve(path, argv, envp);
		printf("execve %s: %s\n", path, strerror(errno));
		_exit(126);
	}
	close(fds[1]);
	while (used + 1 < len && (n = read(fds[0], out + used, len - 1 - used)) > 0)
		used += (size_t)n;
	out[used] = '\0';
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	return status;
}

#endif
