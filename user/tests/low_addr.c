/*
 * vm.mmap_min_addr (issue 8, item 14): a program linked at 0x1000 starts,
 * mmap(MAP_FIXED) works at and above /proc/sys/vm/mmap_min_addr and fails
 * with EPERM below it (for a process without privileges: Linux lets root's
 * CAP_SYS_RAWIO map lower, Ferrite never maps page 0), and the setting
 * reads back as a number and only root may write it.
 */
#include "common.h"
#include <libgen.h>
#include <fcntl.h>
#include <sys/mman.h>

static unsigned long min_addr;

static void unprivileged_low_maps(void *arg)
{
	(void)arg;
	CHECK(setgid(65534) == 0 && setuid(65534) == 0, "drop privileges");
	errno = 0;
	void *p = mmap((void *)(min_addr - 4096), 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(p == MAP_FAILED && errno == EPERM, "MAP_FIXED below mmap_min_addr: %p", p);
	p = mmap((void *)min_addr, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(p == (void *)min_addr, "MAP_FIXED at mmap_min_addr: %p", p);
	*(volatile int *)p = 7;
	CHECK(munmap(p, 4096) == 0, "munmap");
	/* The setting is root's. */
	CHECK_ERRNO(open("/proc/sys/vm/mmap_min_addr", O_WRONLY), EACCES);
	exit(0);
}

int main(int argc, char **argv)
{
	char dir[256], helper[300], text[64] = "";
	int status;
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");

	(void)argc;
	CHECK(f != NULL, "open /proc/sys/vm/mmap_min_addr");
	CHECK(fgets(text, sizeof(text), f) != NULL, "read mmap_min_addr");
	fclose(f);
	CHECK(sscanf(text, "%lu", &min_addr) == 1 && strchr(text, '\n'), "mmap_min_addr \"%s\"",
	      text);
	CHECK(min_addr % 4096 == 0 && min_addr >= 4096, "mmap_min_addr %lu", min_addr);

	/* A program linked at 0x1000 runs where the setting allows it. */
	if (min_addr <= 0x1000) {
		snprintf(dir, sizeof(dir), "%s", argv[0]);
		snprintf(helper, sizeof(helper), "%s/low_text_helper", dirname(dir));
		pid_t pid = fork();
		CHECK(pid >= 0, "fork");
		if (pid == 0) {
			char *const cargv[] = { "low_text_helper", NULL };
			char *const cenvp[] = { NULL };
			test_execve(helper, cargv, cenvp);
			printf("execve %s: %s\n", helper, strerror(errno));
			_exit(100);
		}
		CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42,
		      "low_text_helper status 0x%x (42 = ran, 100 = exec failed)", status);
	}

	/* mmap(MAP_FIXED) at the lowest allowed page, then below it. */
	if (!under_qemu_user()) { /* qemu-user's own check differs */
		void *p = mmap((void *)min_addr, 8192, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		CHECK(p == (void *)min_addr, "MAP_FIXED_NOREPLACE at %#lx: %p", min_addr, p);
		((volatile char *)p)[8191] = 1;
		CHECK(munmap(p, 8192) == 0, "munmap");
		CHECK(run_in_child(unprivileged_low_maps, NULL) == 0, "unprivileged child");
	}

	/* Only root may change the setting; a bad number is EINVAL. */
	if (getuid() == 0 && !under_qemu_user()) {
		int fd = open("/proc/sys/vm/mmap_min_addr", O_WRONLY);
		CHECK(fd >= 0, "open mmap_min_addr for writing");
		CHECK_ERRNO(write(fd, "12x\n", 4), EINVAL);
		snprintf(text, sizeof(text), "%lu\n", min_addr);
		CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write back %s", text);
		close(fd);
	}
	return 0;
}
