/*
 * The portable start of the kernel: an ordered list of init steps, called by
 * the arch entry code on the boot CPU once the console works.
 */
#include <ferrite/cpu.h>
#include <ferrite/fault_inject.h>
#include <ferrite/file.h>
#include <ferrite/frame.h>
#include <ferrite/kmalloc.h>
#include <ferrite/pipe.h>
#include <ferrite/printk.h>
#include <ferrite/sched.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <hal/hal_boot.h>
#include <hal/hal_cpu.h>
#include <hal/hal_mmu.h>
#include <hal/hal_timer.h>

struct cpu cpus[MAX_CPUS];

/* The built-in initramfs (user/meson.build), used when no -initrd is given. */
extern const char initramfs_builtin_start[], initramfs_builtin_end[];

static char init_path[128] = "/init";

/* init=PATH on the command line overrides /init, as on Linux. */
static void parse_cmdline(const char *cmdline)
{
	const char *p = cmdline;
	while (p && *p) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, "init=", 5)) {
			size_t n = 0;
			p += 5;
			while (p[n] && p[n] != ' ' && n < sizeof(init_path) - 1)
				n++;
			memcpy(init_path, p, n);
			init_path[n] = '\0';
			p += n;
		} else if (!strncmp(p, "failslab=", 9)) {
			fault_inject_setup(p + 9); /* docs/reliability.md */
		}
		while (*p && *p != ' ')
			p++;
	}
}

/* The built-in archive first, then the boot loader's (-initrd) over it, as
 * Linux does: files of the second replace those of the first. */
static void unpack_initramfs(const struct boot_info *info)
{
	size_t len = initramfs_builtin_end - initramfs_builtin_start;
	int err;

	pr_info("initramfs: %zu bytes built in\n", len);
	err = initramfs_unpack(initramfs_builtin_start, len);
	if (err)
		panic("initramfs: cannot unpack the built-in archive (error %d)", err);
	if (info->initrd_start && info->initrd_end > info->initrd_start) {
		len = info->initrd_end - info->initrd_start;
		pr_info("initramfs: %zu bytes from the boot loader\n", len);
		err = initramfs_unpack(phys_to_virt(info->initrd_start), len);
		if (err)
			panic("initramfs: cannot unpack the boot loader's archive (error %d)", err);
	}
}

void kmain(struct boot_info *info)
{
	cpus[0].id = 0;
	hal_cpu_set_self(&cpus[0]);
	pr_info("Ferrite %s booting on %s, cmdline \"%s\"\n", FERRITE_VERSION, hal_arch_name, info->cmdline);
	parse_cmdline(info->cmdline);

	frame_allocator_init(info);     /* physical memory */
	kmalloc_init();                 /* slab caches */
	pr_info("memory: %zu MiB free\n", frames_free_count() * PAGE_SIZE >> 20);
	hal_arch_init();                /* traps, interrupt controllers */
	sched_init();                   /* idle task for this CPU, run queues */
	vfs_init();                     /* root in-memory fs and /dev */
	fifo_init();                    /* mknod(S_IFIFO) opens pipes */
	unpack_initramfs(info);         /* the root file system's contents */
	console_init();                 /* /dev/console, UART receive interrupts */
	hal_timer_start();              /* the scheduler tick */

	char *const argv[] = { init_path, NULL };
	char *const envp[] = { "HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=linux", NULL };
	int err = proc_spawn_init(init_path, argv, envp);
	if (err)
		panic("cannot start %s (error %d)", init_path, err);
	sched_run_idle();
}
