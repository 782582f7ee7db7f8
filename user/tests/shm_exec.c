/*
 * POSIX shared memory between two unrelated programs: this test creates an
 * object, then runs itself again through execve ("child NAME"), which opens
 * the object by name, checks the data, answers through it and exits.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define SIZE (64 * 1024)

static unsigned pattern(unsigned i) { return i * 2654435761u; }

static int child(const char *name)
{
	int fd = shm_open(name, O_RDWR, 0);
	CHECK(fd >= 0, "child shm_open");
	struct stat st;
	CHECK(fstat(fd, &st) == 0 && st.st_size == SIZE, "child size");
	unsigned *w = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(w != MAP_FAILED, "child mmap");
	close(fd);
	for (unsigned i = 1; i < SIZE / 4; i++)
		CHECK(w[i] == pattern(i), "child: word %u is %x", i, w[i]);
	for (unsigned i = 1; i < SIZE / 4; i++)
		w[i] = ~w[i];
	w[0] = 0xd0e;
	return 0;
}

int main(int argc, char **argv)
{
	char name[64];
	int status;

	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return child(argv[2]);

	snprintf(name, sizeof(name), "/ferrite_shm_exec_%d", (int)getpid());
	int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0, "shm_open");
	CHECK(ftruncate(fd, SIZE) == 0, "ftruncate");
	unsigned *w = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(w != MAP_FAILED, "mmap");
	close(fd);
	for (unsigned i = 1; i < SIZE / 4; i++)
		w[i] = pattern(i);

	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		char *const cargv[] = { argv[0], "child", name, NULL };
		char *const cenvp[] = { NULL };
		test_execve(argv[0], cargv, cenvp);
		printf("execve %s: %s\n", argv[0], strerror(errno));
		_exit(100);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	CHECK(w[0] == 0xd0e, "child's answer %x", w[0]);
	for (unsigned i = 1; i < SIZE / 4; i++)
		CHECK(w[i] == ~pattern(i), "word %u is %x", i, w[i]);
	CHECK(shm_unlink(name) == 0, "shm_unlink");
	CHECK(munmap(w, SIZE) == 0, "munmap");
	return 0;
}
