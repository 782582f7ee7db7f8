/*
 * The reader of the power-cut test (scripts/crashtest.sh): mount the
 * disk labelled ferrite-crash as it was left by a cut (Ferrite replays
 * its journal), check that every file dNNN/fNNNNN is complete (a file gets its
 * name only after its data was fsync'ed), read everything else, remount
 * read-write (which frees the orphans the writer left: the image must be
 * e2fsck -fn clean afterwards), unmount, print "READER OK n" and power
 * off.
 */
#include "common.h"
#include "crash_pattern.h"
#include "disk_label.h"
#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>

static unsigned char buf[65536];

static const char *find_disk(void)
{
	return disk_find_ext4(CRASH_LABEL);
}

static unsigned check_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	unsigned n = 0;

	CHECK(d, "opendir %s", path);
	while ((de = readdir(d))) {
		char p[512];
		unsigned idx;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		struct stat st;
		CHECK(lstat(p, &st) == 0, "stat %s", p);
		if (S_ISDIR(st.st_mode)) {
			n += check_dir(p);
			continue;
		}
		int fd = open(p, O_RDONLY);
		CHECK(fd >= 0, "open %s", p);
		ssize_t got, total = 0;
		bool named = sscanf(de->d_name, "f%u", &idx) == 1;
		while ((got = read(fd, buf, sizeof(buf))) > 0) {
			for (ssize_t k = 0; named && k < got; k++)
				CHECK(buf[k] == crash_byte(idx, (size_t)(total + k)), "%s: byte %zd", p,
				      total + k);
			total += got;
		}
		CHECK(got == 0, "read %s", p);
		close(fd);
		if (named)
			CHECK((size_t)total == crash_size(idx), "%s: %zd bytes, want %zu", p, total,
			      crash_size(idx));
		n++;
	}
	closedir(d);
	return n;
}

int main(void)
{
	const char *dev = find_disk();

	if (!dev) {
		printf("crash_reader: no disk labelled %s: skipped\n", CRASH_LABEL);
		return 77;
	}
	mkdir(CRASH_MNT, 0755);
	CHECK(mount(dev, CRASH_MNT, "ext4", MS_RDONLY, NULL) == 0, "mount %s (replay)", dev);
	unsigned n = check_dir(CRASH_MNT);
	CHECK(mount(NULL, CRASH_MNT, NULL, MS_REMOUNT, NULL) == 0, "remount read-write (orphans)");
	CHECK(umount(CRASH_MNT) == 0, "umount");
	printf("READER OK %u\n", n);
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
