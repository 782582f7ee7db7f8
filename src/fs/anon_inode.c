/*
 * Inodes for files that have no name: pipes get one inode each on a
 * pseudo "pipefs" (S_IFIFO | 0600, owned by their creator, as on Linux),
 * sockets one each on "sockfs" (S_IFSOCK | 0777), and the other anonymous
 * objects (message ports) share the one inode of
 * "anon_inodefs" (mode 0600 without a type, as Linux's eventfd or epoll).
 * With an inode behind every descriptor, fstat, fstatat(AT_EMPTY_PATH),
 * statx, fstatfs, fchmod and fchown treat them like any other file.
 *
 * Lock: none. The super blocks are constant; the shared inode is published
 * once with a compare-and-swap and never freed (its reference is the
 * pointer's).
 */
#include <ferrite/vfs.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include "fs_internal.h"

#define PIPEFS_MAGIC 0x50495045
#define SOCKFS_MAGIC 0x534F434B
#define ANON_INODE_FS_MAGIC 0x09041934

static struct super_block pipefs_sb = { .dev = MKDEV(0, 12), .magic = PIPEFS_MAGIC };
static struct super_block sockfs_sb = { .dev = MKDEV(0, 8), .magic = SOCKFS_MAGIC };
static struct super_block anon_sb = { .dev = MKDEV(0, 13), .magic = ANON_INODE_FS_MAGIC };
static struct inode *anon_shared; /* set once */

/* Return: a new inode of mode owned by the caller's effective ids, or NULL. */
static struct inode *anon_new(struct super_block *sb, mode_t mode)
{
	struct inode *ino = inode_alloc(sb, mode);
	struct task *t = current;

	if (ino && t && t->proc) {
		ino->uid = t->proc->euid;
		ino->gid = t->proc->egid;
	}
	return ino;
}

struct inode *pipefs_inode_new(void)
{
	return anon_new(&pipefs_sb, S_IFIFO | 0600);
}

struct inode *sockfs_inode_new(void)
{
	return anon_new(&sockfs_sb, S_IFSOCK | 0777);
}

struct inode *anon_inode_get(void)
{
	struct inode *ino = __atomic_load_n(&anon_shared, __ATOMIC_ACQUIRE);
	struct inode *fresh, *expected = NULL;

	if (ino) {
		inode_get(ino);
		return ino;
	}
	fresh = inode_alloc(&anon_sb, 0600);
	if (!fresh)
		return NULL;
	if (!__atomic_compare_exchange_n(&anon_shared, &expected, fresh, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		inode_put(fresh); /* another caller published first */
		fresh = expected;
	}
	inode_get(fresh);
	return fresh;
}

void anon_inode_init(void)
{
	struct inode *ino = anon_inode_get();

	if (ino)
		inode_put(ino); /* the published pointer keeps its own reference */
}
