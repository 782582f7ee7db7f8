/*
 * The writer of the power-cut test (scripts/crashtest.sh): on the disk
 * labelled ferrite-crash, write file after file (crash_pattern.h) as
 * programs that want durability do: write a temporary file, fsync it,
 * rename it into place, fsync the directory, and only then print
 * "SYNCED name size" on the console. The host kills QEMU at a random
 * moment and checks that every SYNCED file is complete after recovery.
 * Some unsynced noise (an appended log, files removed again) keeps other
 * metadata moving, and a file unlinked while open (kept open to the end)
 * puts an inode on the orphan list that every cut after its unlink's
 * commit carries. Not in a test group: it runs until the disk is full.
 */
#include "common.h"
#include "crash_pattern.h"
#include "disk_label.h"
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

static const char *find_disk(void)
{
	return disk_find_ext4(CRASH_LABEL);
}

static unsigned char buf[40000];

int main(void)
{
	const char *dev = find_disk();
	char name[64], path[160], tmp[160], dir[64];

	if (!dev) {
		printf("crash_writer: no disk labelled %s: skipped\n", CRASH_LABEL);
		return 77;
	}
	mkdir(CRASH_MNT, 0755);
	CHECK(mount(dev, CRASH_MNT, "ext4", 0, NULL) == 0, "mount %s read-write", dev);
	printf("WRITER STARTED\n");
	fflush(stdout);
	int logfd = open(CRASH_MNT "/noise.log", O_WRONLY | O_CREAT | O_APPEND, 0644);
	/* an orphan: its blocks must come back at the next mount (crash_reader) */
	int orphan = open(CRASH_MNT "/orphan", O_RDWR | O_CREAT | O_TRUNC, 0644);
	for (size_t k = 0; k < sizeof(buf); k++)
		buf[k] = (unsigned char)k;
	CHECK(orphan >= 0 && write(orphan, buf, sizeof(buf)) == (ssize_t)sizeof(buf) &&
		      unlink(CRASH_MNT "/orphan") == 0 && fsync(orphan) == 0,
	      "orphan");
	for (unsigned i = 0; i < CRASH_FILES; i++) {
		crash_name(name, sizeof(name), i);
		snprintf(dir, sizeof(dir), CRASH_MNT "/d%03u", i / 20);
		if (i % 20 == 0 && mkdir(dir, 0755) && errno != EEXIST)
			break;
		snprintf(path, sizeof(path), CRASH_MNT "/%s", name);
		snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
		size_t size = crash_size(i);
		for (size_t k = 0; k < size; k++)
			buf[k] = crash_byte(i, k);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			break;
		if (write(fd, buf, size) != (ssize_t)size || fsync(fd)) {
			close(fd);
			break;
		}
		close(fd);
		if (rename(tmp, path))
			break;
		int dfd = open(dir, O_RDONLY | O_DIRECTORY);
		if (dfd < 0 || fsync(dfd))
			break;
		close(dfd);
		printf("SYNCED %s %zu\n", name, size);
		fflush(stdout);
		/* unsynced noise: a log line, and every 7th file a scratch file
		 * made and removed */
		if (logfd >= 0)
			dprintf(logfd, "file %u\n", i);
		if (i % 7 == 0) {
			snprintf(tmp, sizeof(tmp), "%s/scratch", dir);
			int s = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (s >= 0) {
				if (write(s, buf, size / 2 + 1) < 0)
					(void)0;
				close(s);
				unlink(tmp);
			}
		}
	}
	printf("WRITER DONE (errno %d)\n", errno);
	fflush(stdout);
	sync();
	for (;;)
		pause();
}
