/*
 * Root on disk, as Linux: root=/dev/vdX [ro|rw] rootfstype=ext4 on the
 * command line mounts that disk's file system as "/" before init runs.
 * The initramfs's /dev, /proc, /tmp, /sys and /root stay what they are
 * (device nodes, procfs, a writable scratch space): each is bound over the
 * disk's directory of that name when the disk has one. The mount happens
 * in the first task, just before it executes init (the boot CPU's kmain
 * cannot sleep on disk I/O). "rw" mounts it read-write (read-only when
 * the driver cannot write that image), "ro" or nothing read-only.
 * Without root= the initramfs stays the root. Runs once at boot, before any process.
 */
#include <ferrite/vfs.h>
#include <ferrite/block.h>
#include <ferrite/buffer.h>
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>

struct super_block *ext4_mount(struct block_device *bd, unsigned long flags);

/* Copy the value of word key= (e.g. "root=") from cmdline into out. */
static bool cmdline_value(const char *cmdline, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = cmdline; p && *p;) {
		const char *end;
		while (*p == ' ')
			p++;
		for (end = p; *end && *end != ' '; end++)
			;
		if ((size_t)(end - p) >= klen && !strncmp(p, key, klen)) {
			size_t n = MIN((size_t)(end - p) - klen, size - 1);
			memcpy(out, p + klen, n);
			out[n] = '\0';
			return true;
		}
		p = end;
	}
	return false;
}

static bool cmdline_word(const char *cmdline, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = cmdline; p && *p;) {
		const char *end;
		while (*p == ' ')
			p++;
		for (end = p; *end && *end != ' '; end++)
			;
		if ((size_t)(end - p) == n && !strncmp(p, word, n))
			return true;
		p = end;
	}
	return false;
}

static const char *boot_cmdline;
static bool boot_init_given;

void vfs_root_setup(const char *cmdline, bool init_given)
{
	boot_cmdline = cmdline;
	boot_init_given = init_given;
}

static bool mount_root(const char *cmdline);

void vfs_root_mount(char *path, size_t size)
{
	const char *cmdline = boot_cmdline;

	boot_cmdline = NULL; /* once */
	/* The block cache's write-back thread exists from boot (not from the
	 * first read-write mount), so no test sees it appear. */
	bcache_writeback_start();
	if (cmdline && mount_root(cmdline) && !boot_init_given)
		ksnprintf(path, size, "/sbin/init");
}

static bool mount_root(const char *cmdline)
{
	static const char *const keep[] = { "dev", "proc", "tmp", "sys", "root" };
	char dev[64], type[16] = "ext4";

	if (!cmdline_value(cmdline, "root=", dev, sizeof(dev)))
		return false;
	cmdline_value(cmdline, "rootfstype=", type, sizeof(type));
	if (strcmp(type, "ext4") && strcmp(type, "ext3") && strcmp(type, "ext2")) {
		pr_err("root: rootfstype=%s is not supported (ext4): the initramfs stays the root\n", type);
		return false;
	}
	bool rw = cmdline_word(cmdline, "rw");

	struct inode *node = vfs_lookup_from(vfs_root, dev, LOOKUP_FOLLOW);
	if (IS_ERR(node) || !S_ISBLK(node->mode)) {
		pr_err("root: %s is not a disk (%ld): the initramfs stays the root\n", dev,
		       IS_ERR(node) ? PTR_ERR(node) : -ENOTBLK);
		if (!IS_ERR(node))
			inode_put(node);
		return false;
	}
	struct block_device *bd = blkdev_lookup(node->rdev);
	inode_put(node);
	if (!bd) {
		pr_err("root: no disk %s: the initramfs stays the root\n", dev);
		return false;
	}
	struct super_block *sb = ext4_mount(bd, rw ? 0 : MS_RDONLY);
	if (rw && IS_ERR(sb) && PTR_ERR(sb) == -EROFS) {
		pr_info("root: %s cannot be written: mounting it read-only\n", dev);
		sb = ext4_mount(bd, MS_RDONLY);
	}
	blkdev_put(bd);
	if (IS_ERR(sb)) {
		pr_err("root: cannot mount %s (%ld): the initramfs stays the root\n", dev, PTR_ERR(sb));
		return false;
	}

	struct inode *old = vfs_root;
	for (size_t i = 0; i < ARRAY_SIZE(keep); i++) {
		struct inode *there = vfs_lookup_from(sb->root, keep[i], LOOKUP_DIRECTORY);
		if (IS_ERR(there))
			continue; /* the disk has no such directory */
		struct inode *here = vfs_lookup_from(old, keep[i], LOOKUP_DIRECTORY);
		if (IS_ERR(here)) {
			inode_put(there);
			continue;
		}
		int err = vfs_bind_inode(there, here);
		if (err)
			pr_warn("root: /%s of the initramfs not kept (%d)\n", keep[i], err);
	}
	struct mount_info info = { .path = "/", .type = "ext4", .readonly = sb->flags & MS_RDONLY };
	ksnprintf(info.source, sizeof(info.source), "%s", dev);
	vfs_set_root(sb, &info);
	inode_get(sb->root);
	vfs_root = sb->root; /* the old root stays referenced by its super block */
	pr_info("root: %s (ext4, %s) is the root file system\n", dev,
		(sb->flags & MS_RDONLY) ? "read-only" : "read-write");
	return true;
}
