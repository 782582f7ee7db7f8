/*
 * Journal replay at mount: the disk labelled "ferrite-jbd2t"
 * (scripts/jbd2-test-image.py) has committed transactions in its journal
 * that were never written in place, and says needs_recovery. A read-only
 * mount on the writable device replays them (as Linux does without
 * noload): the files they create are there, the one they remove is gone,
 * and the superblock no longer needs recovery; a second mount has nothing
 * to replay. The host checks the image with e2fsck -fn afterwards.
 * Without the disk (the Linux reference run) the test skips.
 */
#include "common.h"
#include "disk_label.h"
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#define LABEL "ferrite-jbd2t"
#define MNT "/tmp/jbd2t"
#define INCOMPAT_RECOVER 0x4

static const char *find_disk(unsigned *incompat)
{
	const char *dev = disk_find_ext4(LABEL);
	unsigned char sb[1024];

	if (!dev)
		return NULL;
	int fd = open(dev, O_RDONLY);
	if (fd < 0 || pread(fd, sb, sizeof(sb), 1024) != (ssize_t)sizeof(sb)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	close(fd);
	memcpy(incompat, sb + 0x60, 4);
	return dev;
}

static void check_tree(void)
{
	char buf[8192];
	int fd = open(MNT "/replayed.txt", O_RDONLY);
	CHECK(fd >= 0, "open replayed.txt");
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	CHECK(n == 120 * 36, "replayed.txt has %zd bytes", n);
	for (int i = 0; i < 120; i++) {
		char want[64];
		snprintf(want, sizeof(want), "line %04d replayed from the journal\n", i);
		CHECK(!memcmp(buf + i * 36, want, 36), "line %d of replayed.txt", i);
	}
	struct stat st;
	CHECK(stat(MNT "/replayed-dir", &st) == 0 && S_ISDIR(st.st_mode), "replayed-dir");
	CHECK_ERRNO(stat(MNT "/doomed", &st), ENOENT);
	CHECK(stat(MNT "/hello.txt", &st) == 0 && st.st_size == 24, "hello.txt");
}

int main(void)
{
	unsigned incompat;
	const char *dev = find_disk(&incompat);

	if (!dev) {
		printf("ext4_replay: no disk labelled %s: skipped\n", LABEL);
		return 77;
	}
	CHECK(incompat & INCOMPAT_RECOVER, "the disk does not need recovery (made fresh each run?)");
	mkdir(MNT, 0755);
	CHECK(mount(dev, MNT, "ext4", MS_RDONLY, NULL) == 0, "mount %s (replay)", dev);
	check_tree();
	CHECK(umount(MNT) == 0, "umount");
	CHECK(find_disk(&incompat) == dev, "the label after the replay");
	CHECK(!(incompat & INCOMPAT_RECOVER), "still needs recovery after the replay");
	CHECK(mount(dev, MNT, "ext4", MS_RDONLY, NULL) == 0, "mount again");
	check_tree();
	CHECK(umount(MNT) == 0, "umount again");
	rmdir(MNT);
	return 0;
}
