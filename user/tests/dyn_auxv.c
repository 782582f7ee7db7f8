/*
 * A dynamically linked PIE: the kernel loaded the interpreter (ld.so) its
 * PT_INTERP names and passed Linux's auxiliary vector; check it through
 * getauxval against what ld.so and libc report. Also thread-local storage
 * in a second thread, and address-space randomisation: two runs of this
 * program get different addresses for the program, ld.so and the stack.
 * Options: --via-ldso (dyn_ldso_direct started us as "ld.so dyn_auxv":
 * no AT_BASE), --addrs (print the addresses and exit).
 */
#include "dyn_common.h"
#include <link.h>
#include <pthread.h>
#include <sys/auxv.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

extern void _start(void);
static __thread int tls_value = 42;

struct objects {
	int n;
	uintptr_t main_addr;           /* load bias of the program */
	const ElfW(Phdr) *main_phdr;
	int main_phnum;
	uintptr_t ldso_addr;           /* load bias of ld.so, found by name */
	int have_ldso;
};

static int collect(struct dl_phdr_info *info, size_t size, void *data)
{
	struct objects *o = data;

	(void)size;
	if (o->n++ == 0) {
		o->main_addr = info->dlpi_addr;
		o->main_phdr = info->dlpi_phdr;
		o->main_phnum = info->dlpi_phnum;
	} else if (strstr(info->dlpi_name, "/ld-linux") || strstr(info->dlpi_name, "ld-linux")) {
		o->ldso_addr = info->dlpi_addr;
		o->have_ldso = 1;
	}
	return 0;
}

static void *thread_fn(void *arg)
{
	(void)arg;
	if (tls_value != 42)
		return (void *)1;
	tls_value = 7;
	return NULL;
}

/* Linux's randomize_va_space, 2 when there is no such file (Ferrite). */
static int randomize_level(void)
{
	FILE *f = fopen("/proc/sys/kernel/randomize_va_space", "r");
	int level = 2;

	if (f) {
		if (fscanf(f, "%d", &level) != 1)
			level = 2;
		fclose(f);
	}
	return level;
}

static void get_addrs(const char *self, unsigned long out[3])
{
	char *const argv[] = { (char *)self, "--addrs", NULL };
	extern char **environ;
	char buf[256];
	int status = dyn_run(self, argv, environ, buf, sizeof(buf));

	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s --addrs: status 0x%x: %s",
	      self, status, buf);
	CHECK(sscanf(buf, "%lx %lx %lx", &out[0], &out[1], &out[2]) == 3, "--addrs said '%s'",
	      buf);
}

int main(int argc, char **argv)
{
	int via_ldso = argc > 1 && !strcmp(argv[1], "--via-ldso");
	struct objects o = { 0 };
	int stack_var;

	dl_iterate_phdr(collect, &o);
	if (argc > 1 && !strcmp(argv[1], "--addrs")) {
		printf("%lx %lx %lx\n", (unsigned long)o.main_addr, (unsigned long)&stack_var,
		       (unsigned long)o.ldso_addr);
		return 0;
	}

	CHECK(getauxval(AT_PAGESZ) == 4096 && sysconf(_SC_PAGESIZE) == 4096, "AT_PAGESZ %lu",
	      getauxval(AT_PAGESZ));
	CHECK(getauxval(AT_PHENT) == sizeof(ElfW(Phdr)), "AT_PHENT %lu", getauxval(AT_PHENT));
	CHECK(getauxval(AT_PHDR) == (uintptr_t)o.main_phdr, "AT_PHDR %#lx, program headers at %p",
	      getauxval(AT_PHDR), (void *)o.main_phdr);
	CHECK(getauxval(AT_PHNUM) == (unsigned long)o.main_phnum, "AT_PHNUM %lu, want %d",
	      getauxval(AT_PHNUM), o.main_phnum);
	CHECK(getauxval(AT_ENTRY) == (uintptr_t)_start, "AT_ENTRY %#lx, _start %p",
	      getauxval(AT_ENTRY), (void *)_start);
	/* A PIE: ld.so relocated us away from address 0. */
	CHECK(o.main_addr != 0 && (o.main_addr & 4095) == 0, "PIE load bias %#lx",
	      (unsigned long)o.main_addr);
	CHECK(o.have_ldso, "ld.so not among the loaded objects");
	if (!via_ldso) {
		/* AT_BASE is where the kernel put the interpreter. */
		CHECK(getauxval(AT_BASE) == o.ldso_addr && o.ldso_addr != 0,
		      "AT_BASE %#lx, ld.so loaded at %#lx", getauxval(AT_BASE),
		      (unsigned long)o.ldso_addr);
		const char *fn = (const char *)getauxval(AT_EXECFN);
		CHECK(fn && !strcmp(fn, argv[0]), "AT_EXECFN '%s', argv[0] '%s'", fn ? fn : "(null)",
		      argv[0]);
	}
	CHECK(getauxval(AT_FLAGS) == 0, "AT_FLAGS %#lx", getauxval(AT_FLAGS));
	CHECK(getauxval(AT_SECURE) == 0, "AT_SECURE %lu", getauxval(AT_SECURE));
	CHECK(getauxval(AT_UID) == getuid() && getauxval(AT_EUID) == geteuid() &&
		      getauxval(AT_GID) == getgid() && getauxval(AT_EGID) == getegid(),
	      "AT_UID/EUID/GID/EGID %lu %lu %lu %lu", getauxval(AT_UID), getauxval(AT_EUID),
	      getauxval(AT_GID), getauxval(AT_EGID));
	CHECK(getauxval(AT_CLKTCK) == (unsigned long)sysconf(_SC_CLK_TCK), "AT_CLKTCK %lu",
	      getauxval(AT_CLKTCK));
	CHECK(getauxval(AT_HWCAP) != 0, "AT_HWCAP 0");
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	CHECK(rnd != NULL, "no AT_RANDOM");
	unsigned orsum = 0;
	for (int i = 0; i < 16; i++)
		orsum |= rnd[i];
	CHECK(orsum != 0, "AT_RANDOM's 16 bytes are all zero");
#if defined(__x86_64__)
	const char *plat = (const char *)getauxval(AT_PLATFORM);
	CHECK(plat && !strcmp(plat, "x86_64"), "AT_PLATFORM '%s'", plat ? plat : "(null)");
#endif
	/* qemu-user (the riscv64 reference run) has no vDSO nor AT_MINSIGSTKSZ. */
	if (!under_qemu_user()) {
		const unsigned char *vdso = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
		CHECK(vdso && !memcmp(vdso, ELFMAG, SELFMAG), "AT_SYSINFO_EHDR %p", (void *)vdso);
		unsigned long minsig = getauxval(AT_MINSIGSTKSZ);
		CHECK(minsig >= 256 && minsig <= 65536, "AT_MINSIGSTKSZ %lu", minsig);
	}

	/* Thread-local storage: the new thread gets its own initialised copy. */
	pthread_t t;
	void *ret;
	CHECK(pthread_create(&t, NULL, thread_fn, NULL) == 0, "pthread_create");
	CHECK(pthread_join(t, &ret) == 0 && ret == NULL, "thread saw tls_value != 42");
	CHECK(tls_value == 42, "tls_value %d after the thread", tls_value);

	/* Randomisation: two fresh runs land elsewhere (a chance of about
	 * 2^-19 per address that they do not). */
	if (!via_ldso && !under_qemu_user() && randomize_level() > 0) {
		unsigned long a[3], b[3];
		get_addrs(argv[0], a);
		get_addrs(argv[0], b);
		CHECK(a[0] != b[0], "program at %#lx twice", a[0]);
		CHECK(a[1] != b[1], "stack at %#lx twice", a[1]);
		CHECK(a[2] != b[2], "ld.so at %#lx twice", a[2]);
	}
	printf("dyn_auxv: program %#lx ld.so %#lx\n", (unsigned long)o.main_addr,
	       (unsigned long)o.ldso_addr);
	return 0;
}
