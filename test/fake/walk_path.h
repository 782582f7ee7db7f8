/*
 * Path lookups for the disk file-system host tests (ext4, FAT): a path
 * resolved by the file system's own lookup, one name at a time from the
 * root, without the VFS's namei (no mounts, no symlinks followed).
 */
#pragma once
#include <ferrite/vfs.h>

/* Resolve path ("a/b/c", empty parts skipped) from sb's root.
 * Return: new reference, or the first lookup's ERR_PTR. */
struct inode *walk_path(struct super_block *sb, const char *path);
