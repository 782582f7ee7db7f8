/*
 * VFS start-up: mount the ramfs root and populate the fixed directories
 * and device nodes. Runs once at boot before any process exists.
 */
#include <ferrite/kcov.h>
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <ferrite/procfs.h>
#include "fs_internal.h"

static struct super_block *root_sb;

static void must(int err, const char *what)
{
	if (err && err != -EEXIST)
		panic("vfs_init: %s: error %d", what, err);
}

void vfs_init(void)
{
	static const struct {
		const char *path;
		unsigned major, minor;
		mode_t perm;
	} nodes[] = {
		{ "/dev/null", 1, 3, 0666 },    { "/dev/zero", 1, 5, 0666 },
		{ "/dev/full", 1, 7, 0666 },    { "/dev/random", 1, 8, 0666 },
		{ "/dev/urandom", 1, 9, 0666 }, { "/dev/tty", 5, 0, 0666 },
		{ "/dev/console", 5, 1, 0600 }, { "/dev/tty0", 4, 0, 0620 },
		{ "/dev/ttyS0", 4, 64, 0660 },
	};
	static const char *const dirs[] = { "/dev", "/tmp", "/proc", "/dev/shm", "/sys", "/root" };

	root_sb = ramfs_create_sb();
	if (!root_sb)
		panic("vfs_init: no memory for the root file system");
	vfs_root = root_sb->root;
	inode_get(vfs_root); /* the VFS's own reference */
	anon_inode_init();
	devices_register();
	tty_register();
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++)
		must(vfs_mkdir_at(AT_FDCWD, dirs[i], 0755), dirs[i]);
	static const char *const sticky[] = { "/tmp", "/dev/shm" };
	for (size_t i = 0; i < ARRAY_SIZE(sticky); i++) {
		struct inode *tmp = vfs_lookup_from(vfs_root, sticky[i], 0);
		if (!IS_ERR(tmp)) {
			tmp->mode = S_IFDIR | 01777; /* sticky, world-writable */
			inode_put(tmp);
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
		must(vfs_mknod_at(AT_FDCWD, nodes[i].path, S_IFCHR | nodes[i].perm,
				  MKDEV(nodes[i].major, nodes[i].minor)), nodes[i].path);
	must(vfs_symlink_at("/proc/self/fd", AT_FDCWD, "/dev/fd"), "/dev/fd");
	must(vfs_symlink_at("/proc/self/fd/0", AT_FDCWD, "/dev/stdin"), "/dev/stdin");
	must(vfs_symlink_at("/proc/self/fd/1", AT_FDCWD, "/dev/stdout"), "/dev/stdout");
	must(vfs_symlink_at("/proc/self/fd/2", AT_FDCWD, "/dev/stderr"), "/dev/stderr");
	rtc_dev_init(); /* /dev/rtc0 when there is a hardware clock */
	kcov_dev_init(); /* /dev/kcov in the coverage kernels */
	procfs_init(); /* on /proc */
	pr_info("vfs: ramfs root ready\n");
}
