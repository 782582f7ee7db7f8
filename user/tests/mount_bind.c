/*
 * mount(2) MS_BIND and umount2(2) (issue 9): a directory and a file bound
 * at a second place, MS_REC showing what is mounted inside, the errnos
 * (ENOTDIR, ENOENT, EINVAL), /proc/mounts and /proc/self/mountinfo, and
 * busybox mount --bind / umount -l. With the read-only ext4 disk labelled
 * ferrite-ext4t (Ferrite's guest runs): EBUSY while a file, a cwd or a
 * mount inside is busy, and MNT_DETACH: the mount leaves at once, open
 * files keep working, and the file system is freed at the last close so
 * the disk mounts again.
 * On Linux (as root) the test runs in its own mount name space; without
 * root or name spaces it is skipped (77).
 */
#include "common.h"
#include "disk_label.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>

#define LABEL "ferrite-ext4t"
#define BUSYBOX "/bin/busybox"

static char base[64];

static const char *P(const char *rel)
{
	static char buf[4][256];
	static int i;
	char *b = buf[i++ % 4];
	snprintf(b, sizeof(buf[0]), "%s/%s", base, rel);
	return b;
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	CHECK(fd >= 0, "create %s", path);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write %s", path);
	close(fd);
}

/* The file's first line (static buffer), or "" when it cannot be read. */
static const char *get(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	buf[0] = 0;
	if (fd < 0)
		return buf;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	return buf;
}

/* Does /proc/self/<file> have a line with field number field (from 0)
 * equal to value? Copy that line into line when asked. */
static int proc_has(const char *file, int field, const char *value, char *line, size_t size)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/self/%s", file);
	FILE *f = fopen(path, "r");
	CHECK(f, "open %s", path);
	int found = 0;
	while (!found && fgets(buf, sizeof(buf), f)) {
		char copy[1024], *save = NULL, *tok;
		snprintf(copy, sizeof(copy), "%s", buf);
		tok = strtok_r(copy, " \n", &save);
		for (int i = 0; tok && i < field; i++)
			tok = strtok_r(NULL, " \n", &save);
		if (tok && !strcmp(tok, value)) {
			found = 1;
			if (line)
				snprintf(line, size, "%s", buf);
		}
	}
	fclose(f);
	return found;
}

static void bind_dir(void)
{
	struct stat a, b;
	char line[1024];

	CHECK(mkdir(P("a"), 0755) == 0 && mkdir(P("b"), 0755) == 0, "mkdir");
	put(P("a/f"), "hello");
	CHECK(mount(P("a"), P("b"), NULL, MS_BIND, NULL) == 0, "bind a on b: %s", strerror(errno));
	CHECK(!strcmp(get(P("b/f")), "hello"), "b/f through the bind: '%s'", get(P("b/f")));
	put(P("b/g"), "via b");
	CHECK(!strcmp(get(P("a/g")), "via b"), "a/g made through b");
	CHECK(stat(P("a"), &a) == 0 && stat(P("b"), &b) == 0 && a.st_ino == b.st_ino &&
		      a.st_dev == b.st_dev,
	      "same inode");
	CHECK(proc_has("mounts", 1, P("b"), NULL, 0), "/proc/mounts lists %s", P("b"));
	CHECK(proc_has("mountinfo", 4, P("b"), line, sizeof(line)), "mountinfo lists %s", P("b"));
	/* the root field names the bound directory inside its file system */
	char root[256], want[80];
	CHECK(sscanf(line, "%*s %*s %*s %255s", root) == 1, "mountinfo line: %s", line);
	snprintf(want, sizeof(want), "%s/a", strrchr(base, '/'));
	CHECK(strlen(root) >= strlen(want) && !strcmp(root + strlen(root) - strlen(want), want),
	      "mountinfo root %s, want .../%s", root, want);

	/* not a mount point; a missing source; a directory on a file */
	CHECK_ERRNO(umount(P("a")), EINVAL);
	CHECK_ERRNO(mount(P("nothing"), P("b"), NULL, MS_BIND, NULL), ENOENT);
	put(P("file"), "x");
	CHECK_ERRNO(mount(P("a"), P("file"), NULL, MS_BIND, NULL), ENOTDIR);
	CHECK_ERRNO(mount(P("file"), P("a"), NULL, MS_BIND, NULL), ENOTDIR);

	/* a remount of the bind that changes nothing */
	CHECK(mount(NULL, P("b"), NULL, MS_REMOUNT | MS_BIND, NULL) == 0, "remount,bind: %s",
	      strerror(errno));

	CHECK(umount(P("b")) == 0, "umount b: %s", strerror(errno));
	CHECK_ERRNO(open(P("b/f"), O_RDONLY), ENOENT);
	CHECK(!strcmp(get(P("a/f")), "hello"), "a/f stays");
	CHECK(!proc_has("mounts", 1, P("b"), NULL, 0), "/proc/mounts no longer lists b");
	CHECK_ERRNO(umount(P("b")), EINVAL);
}

static void bind_file(void)
{
	put(P("one"), "one");
	put(P("two"), "two");
	CHECK(mount(P("one"), P("two"), NULL, MS_BIND, NULL) == 0, "bind a file: %s",
	      strerror(errno));
	CHECK(!strcmp(get(P("two")), "one"), "two shows one: '%s'", get(P("two")));
	put(P("two"), "written through two");
	CHECK(!strcmp(get(P("one")), "written through two"), "one written through two");
	CHECK(proc_has("mounts", 1, P("two"), NULL, 0), "/proc/mounts lists the file");
	CHECK(umount(P("two")) == 0, "umount the file: %s", strerror(errno));
	CHECK(!strcmp(get(P("two")), "two"), "two is itself again");
}

/* MS_REC: a bind shows what is mounted inside its source; MNT_DETACH
 * takes the copy away at once. */
static void bind_rec(void)
{
	CHECK(mkdir(P("r"), 0755) == 0 && mkdir(P("r/sub"), 0755) == 0 && mkdir(P("in"), 0755) == 0 &&
		      mkdir(P("d"), 0755) == 0,
	      "mkdir");
	put(P("in/inner"), "inner");
	CHECK(mount(P("in"), P("r/sub"), NULL, MS_BIND, NULL) == 0, "bind in on r/sub");
	CHECK(mount(P("r"), P("d"), NULL, MS_BIND | MS_REC, NULL) == 0, "rbind r on d: %s",
	      strerror(errno));
	CHECK(!strcmp(get(P("d/sub/inner")), "inner"), "d/sub/inner through the rbind");
	CHECK(umount2(P("d"), MNT_DETACH) == 0, "umount -l d: %s", strerror(errno));
	CHECK_ERRNO(open(P("d/sub/inner"), O_RDONLY), ENOENT);
	CHECK(!strcmp(get(P("r/sub/inner")), "inner"), "r/sub keeps its mount");
	CHECK(umount(P("r/sub")) == 0, "umount r/sub");
	CHECK_ERRNO(open(P("r/sub/inner"), O_RDONLY), ENOENT);
}

/* Run busybox with args; its exit status. */
static int busybox(char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execv(BUSYBOX, argv);
		_exit(127);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void busybox_bind(void)
{
	if (access(BUSYBOX, X_OK) != 0)
		return;
	CHECK(mkdir(P("bb"), 0755) == 0, "mkdir bb");
	char *bind[] = { "mount", "--bind", (char *)P("a"), (char *)P("bb"), NULL };
	CHECK(busybox(bind) == 0, "busybox mount --bind");
	CHECK(!strcmp(get(P("bb/f")), "hello"), "bb/f through busybox's bind");
	int fd = open(P("bb/f"), O_RDONLY);
	CHECK(fd >= 0, "open bb/f");
	char *lazy[] = { "umount", "-l", (char *)P("bb"), NULL };
	CHECK(busybox(lazy) == 0, "busybox umount -l");
	CHECK_ERRNO(open(P("bb/f"), O_RDONLY), ENOENT);
	char c;
	CHECK(read(fd, &c, 1) == 1 && c == 'h', "the open file still reads");
	close(fd);
}

static void check_ext4_hello(const char *path)
{
	CHECK(!strncmp(get(path), "hello", 5), "%s: '%s'", path, get(path));
}

/* EBUSY and MNT_DETACH on a disk (Ferrite's guest runs). */
static void disk(const char *dev)
{
	char mnt[80], sub[96], file[96];
	snprintf(mnt, sizeof(mnt), "%s", P("disk"));
	snprintf(sub, sizeof(sub), "%s/dir", mnt);
	snprintf(file, sizeof(file), "%s/hello.txt", mnt);
	CHECK(mkdir(mnt, 0755) == 0, "mkdir %s", mnt);

	/* busy: an open file, a cwd, a mount inside */
	CHECK(mount(dev, mnt, "ext4", MS_RDONLY, NULL) == 0, "mount %s: %s", dev, strerror(errno));
	check_ext4_hello(file);
	int fd = open(file, O_RDONLY);
	CHECK(fd >= 0, "open hello.txt");
	CHECK_ERRNO(umount(mnt), EBUSY);
	close(fd);
	CHECK(chdir(sub) == 0, "chdir into the disk");
	CHECK_ERRNO(umount(mnt), EBUSY);
	CHECK(chdir("/") == 0, "chdir /");
	CHECK(mount(P("a"), sub, NULL, MS_BIND, NULL) == 0, "bind onto the disk: %s",
	      strerror(errno));
	CHECK(!strcmp(get(P("disk/dir/f")), "hello"), "the bind inside the disk");
	CHECK_ERRNO(umount(mnt), EBUSY);
	CHECK(umount(sub) == 0, "umount the bind inside");
	CHECK(umount(mnt) == 0, "umount: %s", strerror(errno));

	/* lazy with an open file: gone from the tree, the file still reads,
	 * and after the last close the disk mounts again */
	CHECK(mount(dev, mnt, "ext4", MS_RDONLY, NULL) == 0, "mount again");
	fd = open(file, O_RDONLY);
	CHECK(fd >= 0, "open hello.txt");
	CHECK(umount2(mnt, MNT_DETACH) == 0, "umount -l: %s", strerror(errno));
	CHECK_ERRNO(open(file, O_RDONLY), ENOENT);
	CHECK(!proc_has("mounts", 1, mnt, NULL, 0), "/proc/mounts no longer lists the disk");
	char buf[5];
	CHECK(pread(fd, buf, 5, 0) == 5 && !memcmp(buf, "hello", 5), "the open file still reads");
	close(fd);
	CHECK(mount(dev, mnt, "ext4", MS_RDONLY, NULL) == 0, "mount after the last close: %s",
	      strerror(errno));
	check_ext4_hello(file);

	/* lazy with a cwd inside and a mount inside: both go at once */
	CHECK(mount(P("a"), sub, NULL, MS_BIND, NULL) == 0, "bind onto the disk");
	CHECK(chdir(mnt) == 0, "chdir into the disk");
	CHECK(umount2(mnt, MNT_DETACH) == 0, "umount -l with a cwd inside: %s", strerror(errno));
	CHECK_ERRNO(open(file, O_RDONLY), ENOENT);
	CHECK(!proc_has("mounts", 1, sub, NULL, 0), "the mount inside left too");
	DIR *d = opendir(".");
	CHECK(d, "the detached cwd still lists");
	closedir(d);
	CHECK(chdir("/") == 0, "chdir /");
	CHECK(mount(dev, mnt, "ext4", MS_RDONLY, NULL) == 0, "mount after the cwd left: %s",
	      strerror(errno));
	check_ext4_hello(file);
	CHECK(umount(mnt) == 0, "final umount");
}

int main(void)
{
	if (geteuid() != 0) {
		printf("mount_bind: not root: skipped\n");
		return 77;
	}
	/* Linux: a private mount name space, so nothing leaks to the host;
	 * Ferrite has one name space (EINVAL) and a private guest. */
	if (unshare(CLONE_NEWNS) == 0) {
		CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private");
	} else if (errno != EINVAL) {
		printf("mount_bind: no mount name space (%s): skipped\n", strerror(errno));
		return 77;
	}
	snprintf(base, sizeof(base), "/tmp/mntb-XXXXXX");
	CHECK(mkdtemp(base), "mkdtemp");

	bind_dir();
	bind_file();
	bind_rec();
	busybox_bind();
	const char *dev = disk_find_ext4(LABEL);
	if (dev)
		disk(dev);

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	CHECK(system(cmd) == 0, "rm -rf");
	printf("mount_bind: ok%s\n", dev ? " (with the disk)" : "");
	return 0;
}
