/*
 * The judge runner (competition mode, docs/judge.md): init calls judge_run()
 * before it starts the shell. Unless the kernel command line says judge=off,
 * it mounts the first virtio disk (/dev/vda, ext4, no partition table) and
 * looks for *_testcode.sh scripts in its root and its first-level folders.
 * With none it unmounts and returns (boot goes on to the shell). Otherwise
 * it makes the environment the disk's programs expect (busybox, C library
 * loaders, /tmp, /dev, /proc), runs every script with busybox sh from the
 * script's own folder, each in its own session, kills a script's whole
 * process group past the per-script limit, and powers off at the end.
 *
 * Order: the root's own scripts first, then folders alphabetically; inside
 * a folder "basic" first, then alphabetically. judge=PATH runs one folder.
 * The kernel hands init the command line's key=value words as environment
 * (src/kmain.c): judge=, judge_timeout=SECONDS.
 *
 * Part of pid 1, single-threaded: no locking.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "judge.h"

#define JUDGE_DISK "/dev/vda"
#define JUDGE_MNT "/mnt/judge"
#define BUILTIN_BUSYBOX "/bin/busybox.ferrite"
#define DEFAULT_TIMEOUT_S (15 * 60)
#define MAX_ENTRIES 256
#define MAX_LINKS 512

#if defined(__riscv)
#define MUSL_LOADER "ld-musl-riscv64.so.1"
#define GLIBC_LOADER_DIR "/lib"
#define GLIBC_LOADER "ld-linux-riscv64-lp64d.so.1"
#elif defined(__x86_64__)
#define MUSL_LOADER "ld-musl-x86_64.so.1"
#define GLIBC_LOADER_DIR "/lib64"
#define GLIBC_LOADER "ld-linux-x86-64.so.2"
#else
#error "judge runner: unknown architecture"
#endif

/* Symlinks this runner made in /lib, /lib64 and /bin for the folder being
 * run: removed before the next folder links its own. */
static char *made_links[MAX_LINKS];
static int made_count;
static long timeout_s = DEFAULT_TIMEOUT_S;
static const struct timespec boot_ts; /* CLOCK_MONOTONIC counts from boot */
static bool first_started;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("[judge] ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

static bool is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);
	return n >= m && !strcmp(s + n - m, tail);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "basic" first, then alphabetical. */
static int cmp_scripts(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	bool bx = !strcmp(x, "basic_testcode.sh"), by = !strcmp(y, "basic_testcode.sh");

	if (bx != by)
		return bx ? -1 : 1;
	return strcmp(x, y);
}

/* The *_testcode.sh files of dir, sorted, into names (malloc'd); their count. */
static int list_scripts(const char *dir, char **names, int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char path[4096];
		if (!ends_with(e->d_name, "_testcode.sh"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (is_file(path))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_scripts);
	return n;
}

/* The first-level folders of the disk that hold at least one script, sorted. */
static int list_folders(char **names, int max)
{
	DIR *d = opendir(JUDGE_MNT);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char path[4096], *scripts[MAX_ENTRIES];
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "lost+found"))
			continue;
		snprintf(path, sizeof(path), JUDGE_MNT "/%s", e->d_name);
		if (!is_dir(path))
			continue;
		int k = list_scripts(path, scripts, MAX_ENTRIES);
		for (int i = 0; i < k; i++)
			free(scripts[i]);
		if (k > 0)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	return n;
}

/* Mount the judge disk read-write, else read-only (and say so). */
static bool mount_disk(void)
{
	if (access(JUDGE_DISK, F_OK) != 0)
		return false;
	mkdir("/mnt", 0755);
	mkdir(JUDGE_MNT, 0755);
	if (mount(JUDGE_DISK, JUDGE_MNT, "ext4", 0, NULL) == 0)
		return true;
	if (errno == EROFS || errno == EACCES) {
		if (mount(JUDGE_DISK, JUDGE_MNT, "ext4", MS_RDONLY, NULL) == 0) {
			say("%s mounted read-only (the ext4 driver does not write): programs that write in their folder will fail",
			    JUDGE_DISK);
			return true;
		}
	}
	return false;
}

/* dst -> target, replacing a symlink dst made earlier; remembered for unlink_made(). */
static void link_made(const char *target, const char *dst)
{
	struct stat st;

	if (lstat(dst, &st) == 0) {
		if (!S_ISLNK(st.st_mode))
			return; /* a real file of Ferrite's own: keep it */
		unlink(dst);
	}
	if (symlink(target, dst) != 0) {
		say("cannot link %s -> %s: %s", dst, target, strerror(errno));
		return;
	}
	if (made_count < MAX_LINKS)
		made_links[made_count++] = strdup(dst);
}

static void unlink_made(void)
{
	for (int i = 0; i < made_count; i++) {
		unlink(made_links[i]);
		free(made_links[i]);
	}
	made_count = 0;
}

/* Every file of libdir linked into /lib, as a distribution installs them. */
static void link_libdir(const char *libdir)
{
	DIR *d = opendir(libdir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char src[4096], dst[4096];
		if (e->d_name[0] == '.')
			continue;
		snprintf(src, sizeof(src), "%s/%s", libdir, e->d_name);
		snprintf(dst, sizeof(dst), "/lib/%s", e->d_name);
		link_made(src, dst);
	}
	closedir(d);
}

/* The C library loaders for programs of folder dir: its own lib/ first,
 * then the disk's /musl/lib and /glibc/lib. */
static void link_loaders(const char *dir)
{
	const char *libdirs[3];
	char own[4096];
	bool musl = false, glibc = false;

	snprintf(own, sizeof(own), "%s/lib", dir);
	libdirs[0] = own;
	libdirs[1] = JUDGE_MNT "/musl/lib";
	libdirs[2] = JUDGE_MNT "/glibc/lib";
	mkdir("/lib", 0755);
	mkdir("/lib64", 0755);
	for (int i = 0; i < 3; i++) {
		char path[4096];
		if (!is_dir(libdirs[i]))
			continue;
		if (!musl) {
			snprintf(path, sizeof(path), "%s/libc.so", libdirs[i]);
			if (!is_file(path))
				snprintf(path, sizeof(path), "%s/" MUSL_LOADER, libdirs[i]);
			if (is_file(path)) {
				link_made(path, "/lib/" MUSL_LOADER);
				musl = true;
			}
		}
		if (!glibc) {
			snprintf(path, sizeof(path), "%s/" GLIBC_LOADER, libdirs[i]);
			if (is_file(path)) {
				link_libdir(libdirs[i]);
				link_made(path, GLIBC_LOADER_DIR "/" GLIBC_LOADER);
				glibc = true;
			}
		}
	}
}

/* 0 when busybox at path runs here (a disk's busybox may need a loader). */
static bool busybox_works(const char *path)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return false;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(null, 1);
		dup2(null, 2);
		execl(path, "true", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* /bin/busybox (every applet links to it) and /busybox (the public suite's
 * scripts start with "#!/busybox sh") -> the folder's busybox, the disk
 * root's, else Ferrite's own. */
static void link_busybox(const char *dir)
{
	char cand[2][4096];
	const char *pick = BUILTIN_BUSYBOX;

	snprintf(cand[0], sizeof(cand[0]), "%s/busybox", dir);
	snprintf(cand[1], sizeof(cand[1]), JUDGE_MNT "/busybox");
	for (int i = 0; i < 2; i++) {
		if (!is_file(cand[i]))
			continue;
		if (busybox_works(cand[i])) {
			pick = cand[i];
			break;
		}
		say("%s does not run here: using Ferrite's busybox", cand[i]);
	}
	link_made(pick, "/bin/busybox");
	link_made(pick, "/busybox");
}

/* Reap every child that has ended; true when pid was among them. */
static bool reap(pid_t pid, int *status)
{
	bool found = false;
	int st;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		if (p == pid) {
			found = true;
			*status = st;
		}
	}
	return found;
}

static void on_sigchld(int sig)
{
	(void)sig; /* only to make SIGCHLD pending for sigtimedwait */
}

static void run_script(const char *dir, const char *name)
{
	struct timespec t0;
	sigset_t chld;
	int status = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!first_started) {
		first_started = true;
		say("boot to first testcode: %.2f s", seconds_since(&boot_ts));
	}
	say("running %s/%s (limit %ld s)", dir, name, timeout_s);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	signal(SIGCHLD, on_sigchld);
	sigprocmask(SIG_BLOCK, &chld, NULL);

	pid_t pid = fork();
	if (pid < 0) {
		say("fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		setsid();
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0 && null != 0) {
			dup2(null, 0);
			close(null);
		}
		if (chdir(dir) != 0) {
			printf("[judge] chdir %s: %s\n", dir, strerror(errno));
			_exit(126);
		}
		char script[4096];
		snprintf(script, sizeof(script), "./%s", name);
		execl("/bin/busybox", "sh", script, (char *)NULL);
		execl(BUILTIN_BUSYBOX, "sh", script, (char *)NULL);
		printf("[judge] exec sh: %s\n", strerror(errno));
		_exit(127);
	}

	bool killed = false;
	while (!reap(pid, &status)) {
		double left = timeout_s - seconds_since(&t0);
		if (left <= 0) {
			killed = true;
			break;
		}
		struct timespec ts = { .tv_sec = (time_t)left, .tv_nsec = (long)((left - (time_t)left) * 1e9) };
		if (ts.tv_sec > 1)
			ts = (struct timespec){ .tv_sec = 1 }; /* re-check orphans now and then */
		sigtimedwait(&chld, NULL, &ts);
	}
	/* The script's session leader is pid: its group goes, finished or not
	 * (left-over background programs included). */
	kill(-pid, SIGKILL);
	if (killed) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		say("%s/%s: killed after the %ld s limit", dir, name, timeout_s);
	}
	int ignored;
	reap(-2, &ignored); /* orphans that ended meanwhile */
	sigprocmask(SIG_UNBLOCK, &chld, NULL);
	if (WIFSIGNALED(status))
		say("%s/%s: ended by signal %d after %.2f s", dir, name, WTERMSIG(status),
		    seconds_since(&t0));
	else
		say("%s/%s: exit %d after %.2f s", dir, name, WEXITSTATUS(status), seconds_since(&t0));
}

static void run_folder(const char *dir)
{
	char *scripts[MAX_ENTRIES];
	int n = list_scripts(dir, scripts, MAX_ENTRIES);

	if (n == 0)
		return;
	unlink_made();
	link_loaders(dir);
	link_busybox(dir);
	for (int i = 0; i < n; i++) {
		run_script(dir, scripts[i]);
		free(scripts[i]);
	}
}

/* The disk's first-level folders as /NAME when / has no such name (scripts
 * and programs may use absolute paths such as /musl/lib). */
static void link_folders(char **folders, int n)
{
	for (int i = 0; i < n; i++) {
		char src[4096], dst[4096];
		snprintf(src, sizeof(src), JUDGE_MNT "/%s", folders[i]);
		snprintf(dst, sizeof(dst), "/%s", folders[i]);
		if (access(dst, F_OK) != 0)
			(void)symlink(src, dst);
	}
}

/* Built-in busybox keeps a name of its own: /bin/busybox becomes a link. */
static void keep_builtin_busybox(void)
{
	struct stat st;

	if (lstat("/bin/busybox", &st) == 0 && S_ISREG(st.st_mode))
		rename("/bin/busybox", BUILTIN_BUSYBOX);
}

/* A panic must not eat the judges' hour: reboot at once (QEMU with
 * -no-reboot exits), unless panic= asked otherwise. */
static void panic_reboots(void)
{
	FILE *f = fopen("/proc/sys/kernel/panic", "r+");
	int v = 0;

	if (!f)
		return;
	if (fscanf(f, "%d", &v) == 1 && v == 0) {
		rewind(f);
		fputs("1\n", f);
		say("a kernel panic reboots after 1 s in judge mode (/proc/sys/kernel/panic)");
	}
	fclose(f);
}

bool judge_run(void)
{
	const char *mode = getenv("judge");
	const char *limit = getenv("judge_timeout");
	char *folders[MAX_ENTRIES], *root_scripts[MAX_ENTRIES];

	if (mode && !strcmp(mode, "off"))
		return false;
	if (limit) {
		char *end;
		long v = strtol(limit, &end, 10);
		if (*end == '\0' && v > 0)
			timeout_s = v;
	}
	if (!mount_disk())
		return false;

	int nroot = list_scripts(JUDGE_MNT, root_scripts, MAX_ENTRIES);
	int nfold = list_folders(folders, MAX_ENTRIES);
	for (int i = 0; i < nroot; i++)
		free(root_scripts[i]);
	if (nroot == 0 && nfold == 0) {
		umount(JUDGE_MNT);
		return false;
	}

	say("judge disk %s on " JUDGE_MNT ": %d script(s) in its root, %d folder(s) with scripts",
	    JUDGE_DISK, nroot, nfold);
	panic_reboots();
	keep_builtin_busybox();
	link_folders(folders, nfold);
	setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
	unsetenv("judge");
	unsetenv("judge_timeout");

	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (mode && *mode) {
		char dir[4096];
		const char *rel = mode;
		while (*rel == '/')
			rel++;
		snprintf(dir, sizeof(dir), JUDGE_MNT "%s%s", *rel ? "/" : "", rel);
		if (!is_dir(dir))
			say("judge=%s: no such folder on the disk", mode);
		else
			run_folder(dir);
	} else {
		run_folder(JUDGE_MNT);
		for (int i = 0; i < nfold; i++) {
			char dir[4096];
			snprintf(dir, sizeof(dir), JUDGE_MNT "/%s", folders[i]);
			run_folder(dir);
		}
	}
	for (int i = 0; i < nfold; i++)
		free(folders[i]);
	say("all scripts done in %.2f s: sync and power off", seconds_since(&t0));
	sync();
	if (umount(JUDGE_MNT) != 0)
		say("umount " JUDGE_MNT ": %s", strerror(errno));
	return true;
}
