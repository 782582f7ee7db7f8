/*
 * Discretionary access control in the VFS, so every file system gets it:
 * mode bits against owner, group and other (Linux's generic_permission),
 * root's override (fsuid 0 acts as CAP_DAC_OVERRIDE / CAP_FOWNER), the
 * checks for adding and removing names (sticky directories), open's access
 * mode, and the owner a new inode gets. No locks of its own: mode, uid and
 * gid are read once each (a racing chmod gives the old or the new answer).
 */
#include <ferrite/cred.h>
#include <ferrite/errno.h>
#include <ferrite/vfs.h>
#include "fs_internal.h"

#define S_IXUGO (S_IXUSR | S_IXGRP | S_IXOTH)

int inode_permission_as(struct inode *ino, int mask, const struct cred *c)
{
	mode_t mode = READ_ONCE(ino->mode);
	mode_t bits = mode;

	mask &= MAY_READ | MAY_WRITE | MAY_EXEC;
	if (c->uid == READ_ONCE(ino->uid))
		bits >>= 6;
	else if (cred_in_group(c, READ_ONCE(ino->gid)))
		bits >>= 3;
	if (!(mask & ~bits & 7))
		return 0;
	if (c->uid == 0) {
		/* CAP_DAC_OVERRIDE: everything on directories; on other
		 * files all but exec of one nobody may execute. */
		if (S_ISDIR(mode) || !(mask & MAY_EXEC) || (mode & S_IXUGO))
			return 0;
	}
	return -EACCES;
}

int inode_permission(struct inode *ino, int mask)
{
	struct cred c = cred_fs();

	return inode_permission_as(ino, mask, &c);
}

bool inode_owner_or_root(struct inode *ino)
{
	struct cred c = cred_fs();

	return c.uid == 0 || c.uid == READ_ONCE(ino->uid);
}

int may_create(struct inode *dir)
{
	return inode_permission(dir, MAY_WRITE | MAY_EXEC);
}

int may_delete(struct inode *dir, struct inode *victim)
{
	struct cred c = cred_fs();
	int err = inode_permission_as(dir, MAY_WRITE | MAY_EXEC, &c);

	if (err)
		return err;
	/* Sticky directory: only the owner of the name or of the directory
	 * (or CAP_FOWNER) removes or renames it (Linux's check_sticky). */
	if ((READ_ONCE(dir->mode) & S_ISVTX) && c.uid != 0 && c.uid != READ_ONCE(dir->uid) &&
	    c.uid != READ_ONCE(victim->uid))
		return -EPERM;
	return 0;
}

int may_open(struct inode *ino, int flags)
{
	int mask = 0;

	if (flags & O_PATH)
		return 0;
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		mask = MAY_READ;
		break;
	case O_WRONLY:
		mask = MAY_WRITE;
		break;
	default:
		mask = MAY_READ | MAY_WRITE;
		break;
	}
	if (flags & O_TRUNC)
		mask |= MAY_WRITE;
	int err = inode_permission(ino, mask);
	if (err)
		return err;
	if ((flags & O_NOATIME) && !inode_owner_or_root(ino))
		return -EPERM;
	return 0;
}

void inode_init_owner(struct inode *ino, const struct inode *dir)
{
	struct cred c = cred_fs();

	ino->uid = c.uid;
	ino->gid = c.gid;
	if (dir && (READ_ONCE(dir->mode) & S_ISGID)) {
		ino->gid = READ_ONCE(dir->gid);
		if (S_ISDIR(ino->mode))
			ino->mode |= S_ISGID;
	} else if ((ino->mode & S_ISGID) && !S_ISDIR(ino->mode) && c.uid != 0 &&
		   !cred_in_group(&c, ino->gid)) {
		/* A set-gid file for a group one is not in (CAP_FSETID). */
		ino->mode &= ~S_ISGID;
	}
}
