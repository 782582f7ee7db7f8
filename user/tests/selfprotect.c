/*
 * Kernel self-protection, seen from user space (needs Ferrite; exits 77
 * elsewhere). /proc/ferrite/selftest makes the kernel do what it must
 * never do: "smap" reads a user page outside the user-copy routines,
 * "smep" calls into user code; "wx-text", "wx-rodata" and "wx-alias" write
 * to the kernel's read-only text and rodata (the last through the direct
 * map), "wx-data" and "wx-heap" execute from kernel data and heap (W^X).
 * The CPU stops each (x86_64: SMAP/SMEP when present, NX and read-only
 * kernel pages; riscv64: sstatus.SUM clear, no S-mode execution of user
 * pages, R/W/X kernel pages): the writer is killed (SIGKILL) and the kernel lives on to run
 * the next step. Where the CPU lacks the feature the write says
 * EOPNOTSUPP (x86_64 qemu64). Also: the NULL page is never mappable below
 * mmap_min_addr, kernel addresses are refused as user pointers, and the
 * trigger is root's only.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

static const char *word;
static int unsupported;

static void trigger(void *arg)
{
	(void)arg;
	int fd = open("/proc/ferrite/selftest", O_WRONLY);
	CHECK(fd >= 0, "open selftest");
	ssize_t n = write(fd, word, strlen(word));
	if (n < 0 && errno == EOPNOTSUPP)
		_exit(42);
	printf("selftest %s: write returned %zd and the task lives\n", word, n);
	_exit(1);
}

static void check_word(const char *w)
{
	word = w;
	int st = run_in_child(trigger, NULL);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 42) {
		printf("selfprotect: %s: not available on this CPU\n", w);
		unsupported++;
		return;
	}
	expect_killed_by(st, SIGKILL, w);
	printf("selfprotect: %s: stopped, the task was killed, the kernel lives\n", w);
}

static void as_nobody(void *arg)
{
	(void)arg;
	CHECK(syscall(SYS_setresuid, 65534, 65534, 65534) == 0, "setresuid");
	CHECK_ERRNO(open("/proc/ferrite/selftest", O_WRONLY), EACCES);
}

int main(void)
{
	if (access("/proc/ferrite/counters", F_OK) != 0)
		return 77;
	setvbuf(stdout, NULL, _IONBF, 0);
	check_word("smap");
	check_word("smep");
	/* W^X: the kernel's text and rodata are read-only (also through the
	 * direct map), its data, heap and direct map never executable. */
	check_word("wx-text");
	check_word("wx-rodata");
	check_word("wx-alias");
	check_word("wx-data");
	check_word("wx-heap");
	check_word("smap"); /* and again: nothing was left broken */

	int fd = open("/proc/ferrite/selftest", O_WRONLY);
	CHECK(fd >= 0, "open selftest");
	CHECK_ERRNO(write(fd, "bogus", 5), EINVAL);
	close(fd);
	int st = run_in_child(as_nobody, NULL);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unprivileged: status 0x%x", st);

	/* The NULL page stays unmappable; kernel addresses are not user
	 * pointers. */
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(p == MAP_FAILED && errno == EPERM, "MAP_FIXED at 0");
	fd = open("/dev/zero", O_RDONLY);
	CHECK_ERRNO(read(fd, launder_ptr(0xffffffff80000000UL), 16), EFAULT);
	CHECK_ERRNO(read(fd, launder_ptr(0xffffffc000000000UL), 16), EFAULT);
	CHECK_ERRNO(write(1, launder_ptr(0xffffffff80000000UL), 16), EFAULT);
	close(fd);
	return 0;
}
