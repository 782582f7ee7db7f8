/*
 * The portable start of the kernel: an ordered list of init steps, called by
 * the arch entry code on the boot CPU once the console works.
 */
#include <ferrite/lockdep.h>
#include <ferrite/cpu.h>
#include <ferrite/drivers.h>
#include <ferrite/fault_inject.h>
#include <ferrite/file.h>
#include <ferrite/frame.h>
#include <ferrite/kmalloc.h>
#include <ferrite/pipe.h>
#include <ferrite/printk.h>
#include <ferrite/procfs.h>
#include <ferrite/sched.h>
#include <ferrite/socket.h>
#include <ferrite/stack_protector.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/vfs.h>
#include <ferrite/vm.h>
#include <hal/hal_boot.h>
#include <hal/hal_cpu.h>
#include <hal/hal_mmu.h>
#include <hal/hal_timer.h>

struct cpu cpus[MAX_CPUS];

/* The built-in initramfs (user/meson.build), used when no -initrd is given. */
extern const char initramfs_builtin_start[], initramfs_builtin_end[];

static char init_path[128] = "/init";
static bool init_given; /* init= was on the command line */
static bool selftest_lockdep; /* ferrite.selftest=lockdep (debug builds) */
static bool selftest_kmalloc; /* ferrite.selftest=kmalloc (debug builds) */

/* Words the kernel does not know go to init, as Linux passes them: KEY=VALUE
 * into its environment, a bare word (and every word after "--") into its
 * arguments; words with a dot before any '=' are module options and dropped.
 * So user space reads judge=, judge_timeout=... (docs/judge.md). */
#define INIT_MAX_ARGS 16
#define INIT_MAX_ENVS 24
static char init_words[512];
static size_t init_words_used;
static char *init_argv[INIT_MAX_ARGS + 2] = { init_path };
static int init_argc = 1;
static char *init_envp[INIT_MAX_ENVS + 4] = {
	"HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=linux",
};
static int init_envc = 3;

/* Keep a copy of [p, end) for init; false when there is no room left. */
static char *init_word_copy(const char *p, const char *end)
{
	size_t n = (size_t)(end - p);

	if (init_words_used + n + 1 > sizeof(init_words))
		return NULL;
	char *w = init_words + init_words_used;
	memcpy(w, p, n);
	w[n] = '\0';
	init_words_used += n + 1;
	return w;
}

static const char *find_char(const char *p, const char *end, char c)
{
	for (; p < end; p++)
		if (*p == c)
			return p;
	return NULL;
}

static void init_word_add(const char *p, const char *end, bool is_arg)
{
	const char *eq = find_char(p, end, '=');
	const char *dot = find_char(p, eq ? eq : end, '.');
	char *w;

	if (!is_arg && dot)
		return; /* module.option: no module here */
	if (!is_arg && eq && init_envc < INIT_MAX_ENVS && (w = init_word_copy(p, end)))
		init_envp[init_envc++] = w;
	else if ((is_arg || !eq) && init_argc < INIT_MAX_ARGS && (w = init_word_copy(p, end)))
		init_argv[init_argc++] = w;
}

/* Words that other parts of the kernel read from the command line. */
static bool known_elsewhere(const char *p, const char *end)
{
	static const char *const words[] = { "root=", "rootfstype=", "ro", "rw", "console=",
					     "earlycon", "quiet", "loglevel=", "nox2apic" };
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		size_t n = strlen(words[i]);
		bool prefix = words[i][n - 1] == '=';
		if (prefix ? (size_t)(end - p) >= n && !strncmp(p, words[i], n)
			   : (size_t)(end - p) == n && !strncmp(p, words[i], n))
			return true;
	}
	return false;
}

/* A decimal integer with an optional sign, the whole of [p, end); false
 * when it is not one. */
static bool parse_int(const char *p, const char *end, long *out)
{
	bool neg = p < end && *p == '-';
	long v = 0;

	if (p < end && (*p == '-' || *p == '+'))
		p++;
	if (p == end)
		return false;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9' || v > 100000000)
			return false;
		v = v * 10 + (*p - '0');
	}
	*out = neg ? -v : v;
	return true;
}

/* The words Ferrite knows on its command line, as on Linux:
 *   init=PATH        run PATH instead of /init (/sbin/init with root=)
 *   root=/dev/vdX rootfstype=ext4 [ro|rw]   the root file system on a disk
 *   panic=N          after a panic: 0 halt, N > 0 reboot after N seconds,
 *                    N < 0 reboot at once
 *   ferrite.sysrq=1  allow the crash trigger of /proc/sysrq-trigger (tests)
 *   ferrite.selftest=lockdep  debug builds: show that the lock-order
 *                    validator reports an inversion, a sleep with a
 *                    spinlock held... (src/lib/lockdep.c)
 *   ferrite.lockdep=0  debug builds: no lock-order validator
 *   ferrite.selftest=kmalloc  debug builds: show that red zones and
 *                    poison catch an overflow, a write after free and a
 *                    double free (src/mm/kmalloc.c)
 *   ferrite.hung_task_timeout=N  report tasks asleep uninterruptibly for
 *                    more than N seconds (default 120, 0 off; hung_task.c)
 *   failslab=P,SEED  fault injection: allocations fail P times per million
 *   norandmaps       no address-space randomisation (src/mm/layout.c)
 * Anything else goes to init (init_word_add). */
static void parse_cmdline(const char *cmdline)
{
	const char *p = cmdline;
	bool after_dashes = false;
	while (p && *p) {
		const char *end;
		long v;

		while (*p == ' ')
			p++;
		for (end = p; *end && *end != ' '; end++)
			;
		if (end == p)
			break;
		if (after_dashes) {
			init_word_add(p, end, true);
		} else if (end - p == 2 && !strncmp(p, "--", 2)) {
			after_dashes = true;
		} else if (!strncmp(p, "init=", 5)) {
			size_t n = MIN((size_t)(end - p - 5), sizeof(init_path) - 1);
			memcpy(init_path, p + 5, n);
			init_path[n] = '\0';
			init_given = true;
		} else if (!strncmp(p, "panic=", 6) && parse_int(p + 6, end, &v)) {
			panic_timeout = (int)v;
		} else if (!strncmp(p, "ferrite.sysrq=", 14) && parse_int(p + 14, end, &v)) {
			sysrq_crash_allowed = v != 0;
		} else if (end - p == 24 && !strncmp(p, "ferrite.selftest=lockdep", 24)) {
			selftest_lockdep = true;
		} else if (end - p == 17 && !strncmp(p, "ferrite.lockdep=0", 17)) {
			lockdep_off();
		} else if (end - p == 24 && !strncmp(p, "ferrite.selftest=kmalloc", 24)) {
			selftest_kmalloc = true;
		} else if (!strncmp(p, "ferrite.hung_task_timeout=", 26) &&
			   parse_int(p + 26, end, &v) && v >= 0) {
			hung_task_timeout = (unsigned long)v;
		} else if (!strncmp(p, "failslab=", 9)) {
			fault_inject_setup(p + 9); /* docs/reliability.md */
		} else if (end - p == 10 && !strncmp(p, "norandmaps", 10)) {
			mm_randomize = false;
		} else if (!known_elsewhere(p, end)) {
			init_word_add(p, end, false);
		}
		p = end;
	}
}

/* The built-in archive first, then the boot loader's (-initrd) over it, as
 * Linux does: files of the second replace those of the first. A bad archive
 * is reported and the boot goes on with what was unpacked (as Linux). */
static void unpack_initramfs(const struct boot_info *info)
{
	size_t len = initramfs_builtin_end - initramfs_builtin_start;
	int err;

	pr_info("initramfs: %zu bytes built in\n", len);
	err = initramfs_unpack(initramfs_builtin_start, len);
	if (err)
		pr_err("initramfs: the built-in archive was not fully unpacked (error %d)\n", err);
	if (info->initrd_start && info->initrd_end > info->initrd_start) {
		len = info->initrd_end - info->initrd_start;
		pr_info("initramfs: %zu bytes from the boot loader\n", len);
		err = initramfs_unpack(phys_to_virt(info->initrd_start), len);
		if (err)
			pr_err("initramfs: the boot loader's archive was not fully unpacked (error %d)\n",
			       err);
		/* Its files are copies now: its memory goes back (as Linux). */
		size_t pages = frames_release_reserved(info->initrd_start, info->initrd_end);
		pr_info("initramfs: %zu KiB of the boot loader's archive freed\n",
			pages * PAGE_SIZE / 1024);
	}
}

void kmain(struct boot_info *info)
{
	cpus[0].id = 0;
	hal_cpu_set_self(&cpus[0]);
	lockdep_init();                 /* debug builds: the lock-order validator */
	pr_info("Ferrite %s booting on %s, cmdline \"%s\"\n", FERRITE_VERSION, hal_arch_name, info->cmdline);
	parse_cmdline(info->cmdline);

	frame_allocator_init(info);     /* physical memory */
	kmalloc_init();                 /* slab caches */
	pr_info("memory: %zu MiB free\n", frames_free_count() * PAGE_SIZE >> 20);
	hal_arch_init();                /* traps, interrupt controllers */
	stack_protector_init();         /* a random canary for this boot */
	sched_init();                   /* idle task for this CPU, run queues */
	if (selftest_lockdep)
		lockdep_selftest();     /* debug builds: ferrite.selftest=lockdep */
#ifdef FERRITE_DEBUG
	if (selftest_kmalloc)
		kmalloc_selftest();     /* ferrite.selftest=kmalloc */
#endif
	vfs_init();                     /* root in-memory fs and /dev */
	fifo_init();                    /* mknod(S_IFIFO) opens pipes */
	unpack_initramfs(info);         /* the root file system's contents */
	drivers_init();                 /* disks: virtio over mmio (FDT) and PCI */
	blkdev_files_init();            /* /dev/vda, /dev/vdb, ... */
	vfs_root_setup(info->cmdline, init_given); /* root=: mounted by init's task */
	console_init();                 /* /dev/console, UART receive interrupts */
	inet_init();                    /* lo, before init can open a socket */
	hal_timer_start();              /* the scheduler tick */
	smp_init();                     /* the other CPUs, each in its idle loop */

	int err = proc_spawn_init(init_path, init_argv, init_envp);
	if (err)
		panic("cannot start %s (error %d)", init_path, err);
	inet_start_threads();           /* TCP's TIME_WAIT reaper (after init: pid 1) */
	hung_task_start();              /* khungtaskd */
	sched_run_idle();
}
