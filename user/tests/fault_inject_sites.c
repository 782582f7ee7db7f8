/*
 * The fault-injection sites (docs/reliability.md; needs Ferrite, exits 77
 * elsewhere): /proc/ferrite/fault_inject takes failslab='s text, here
 * "1000000 SEED SITE 1": the next operation of SITE by a process other
 * than pid 1 fails, then injection is off again. Each site must turn into
 * an error of the call that hit it, counted in the file:
 *   uaccess  a user copy fails: uname gives EFAULT, the next one works
 *   alloc    a kmalloc fails: pipe gives ENOMEM, the next one works
 *   pgtable  a page table cannot be allocated: touching a fresh page in
 *            a new 1 GiB region kills the child with a signal, no panic
 *   bio      a block request fails: pread of /dev/vda gives EIO, the
 *            next one reads the same bytes (when the runner gave a disk)
 * Bad text is EINVAL.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#define KNOB "/proc/ferrite/fault_inject"

static int knob_write(const char *text)
{
	int fd = open(KNOB, O_WRONLY);
	CHECK(fd >= 0, "open %s", KNOB);
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static unsigned long failed(const char *site)
{
	char buf[512], key[64];
	int fd = open(KNOB, O_RDONLY);
	CHECK(fd >= 0, "open %s", KNOB);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHECK(n > 0, "read %s", KNOB);
	buf[n] = '\0';
	snprintf(key, sizeof(key), "failed_%s ", site);
	char *p = strstr(buf, key);
	CHECK(p, "no %s in %s: %s", key, KNOB, buf);
	return strtoul(p + strlen(key), NULL, 10);
}

static void test_uaccess(void)
{
	struct utsname u;
	unsigned long before = failed("uaccess");

	CHECK(knob_write("1000000 1 uaccess 1") == 0, "arm uaccess");
	CHECK_ERRNO(uname(&u), EFAULT);
	CHECK(uname(&u) == 0, "uname after the one failure");
	CHECK(failed("uaccess") == before + 1, "failed_uaccess counted");
}

static void test_alloc(void)
{
	int p[2];
	unsigned long before = failed("alloc");

	CHECK(knob_write("1000000 2 alloc 1") == 0, "arm alloc");
	CHECK_ERRNO(pipe(p), ENOMEM);
	CHECK(pipe(p) == 0, "pipe after the one failure");
	close(p[0]);
	close(p[1]);
	CHECK(failed("alloc") == before + 1, "failed_alloc counted");
}

static void test_pgtable(void)
{
	int go[2], ready[2];
	unsigned long before = failed("pgtable");

	CHECK(pipe(go) == 0 && pipe(ready) == 0, "pipes");
	/* A region 1 GiB-aligned and away from everything: its first touch
	 * needs new page-table pages. */
	char *hint = (char *)0x3000000000ul; /* below Sv39's 256 GiB */
	char *m = mmap(hint, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(m == hint, "mmap at %p", (void *)hint);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		char c;
		close(go[1]);
		(void)!write(ready[1], "r", 1);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		m[0] = 1; /* no table for it: the fault fails */
		_exit(0);
	}
	char c;
	close(go[0]);
	CHECK(read(ready[0], &c, 1) == 1, "child ready");
	CHECK(knob_write("1000000 3 pgtable 1") == 0, "arm pgtable");
	CHECK(write(go[1], "g", 1) == 1, "go");
	int status;
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFSIGNALED(status), "child status %#x, want killed by a signal", status);
	CHECK(failed("pgtable") == before + 1, "failed_pgtable counted");
	m[0] = 1; /* ours still works */
	munmap(m, 4096);
}

static void test_bio(void)
{
	unsigned char a[512], b[512];
	int fd = open("/dev/vda", O_RDONLY);
	if (fd < 0) {
		printf("fault_inject_sites: no /dev/vda, bio site not tried\n");
		return;
	}
	unsigned long before = failed("bio");
	CHECK(pread(fd, a, sizeof(a), 4096) == sizeof(a), "pread");
	CHECK(knob_write("1000000 4 bio 1") == 0, "arm bio");
	CHECK_ERRNO(pread(fd, b, sizeof(b), 4096), EIO);
	CHECK(pread(fd, b, sizeof(b), 4096) == sizeof(b), "pread after the one failure");
	CHECK(!memcmp(a, b, sizeof(a)), "same bytes");
	CHECK(failed("bio") == before + 1, "failed_bio counted");
	close(fd);
}

static void all(void)
{
	errno = 0;
	CHECK(knob_write("12 1 nosuchsite") == -1 && errno == EINVAL, "bad site");
	CHECK(knob_write("2000000") == -1 && errno == EINVAL, "rate over a million");
	CHECK(knob_write("junk") == -1 && errno == EINVAL, "junk");
	test_uaccess();
	test_alloc();
	test_pgtable();
	test_bio();
	CHECK(knob_write("0") == 0, "off");
	printf("fault_inject_sites: ok\n");
	fflush(stdout);
	exit(0);
}

int main(void)
{
	if (access(KNOB, F_OK) != 0)
		return 77; /* not Ferrite */
	if (geteuid() != 0)
		return 77;
	/* In a child: pid 1 (this test booted as init) is never failed. */
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0)
		all();
	int status;
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		knob_write("0");
		FAIL("the test's child ended with status %#x", status);
	}
	return 0;
}
