/*
 * Inline data (the inline_data feature): a small file's or directory's
 * bytes live in the inode itself, the first 60 in i_block and the rest in
 * the value of the in-inode extended attribute "system.data". At iget the
 * bytes are copied into one buffer (ei->inline_data) that read, readlink
 * and the directory scan use. Every xattr entry and value is checked to
 * lie inside the inode's extra space. No locks (immutable once built).
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include "ext4.h"

#define INLINE_IBLOCK 60

/* Find "system.data" in the in-inode xattrs: its value and size. */
static int find_system_data(struct ext4_fs *fs, uint32_t ino, const struct ext4_inode *raw,
			    const char **val, size_t *vlen)
{
	const char *p = (const char *)raw;
	size_t start = EXT4_GOOD_OLD_INODE_SIZE + raw->i_extra_isize; /* checked by inode_fill */
	size_t end = fs->inode_size;
	uint32_t magic;

	*val = NULL;
	*vlen = 0;
	if (fs->inode_size <= EXT4_GOOD_OLD_INODE_SIZE || start + 4 > end)
		return 0;
	memcpy(&magic, p + start, 4);
	if (magic != EXT4_XATTR_MAGIC)
		return 0;
	size_t first = start + 4; /* values are offsets from the first entry */
	size_t off = first;
	while (off + 4 <= end) {
		uint32_t word;
		memcpy(&word, p + off, 4);
		if (word == 0)
			break; /* end of entries */
		if (off + EXT4_XATTR_ENTRY_SIZE > end)
			return ext4_corrupt(fs, "inode %u: xattr entry past the inode", ino);
		const struct ext4_xattr_entry *e = (const void *)(p + off);
		size_t esize = ALIGN_UP((size_t)EXT4_XATTR_ENTRY_SIZE + e->e_name_len, 4);
		if (off + esize > end)
			return ext4_corrupt(fs, "inode %u: xattr name past the inode", ino);
		if (e->e_name_index == EXT4_XATTR_INDEX_SYSTEM && e->e_name_len == 4 &&
		    !memcmp(e->e_name, "data", 4)) {
			if (e->e_value_inum || (size_t)e->e_value_offs + e->e_value_size > end - first)
				return ext4_corrupt(fs, "inode %u: inline data value outside the inode", ino);
			*val = p + first + e->e_value_offs;
			*vlen = e->e_value_size;
			return 0;
		}
		off += esize;
	}
	return 0;
}

int ext4_inline_load(struct ext4_fs *fs, struct ext4_inode_info *ei, const struct ext4_inode *raw,
		     uint64_t size)
{
	const char *val;
	size_t vlen;
	int err = find_system_data(fs, ei->ino, raw, &val, &vlen);

	if (err)
		return err;
	if (size > INLINE_IBLOCK + vlen)
		return ext4_corrupt(fs, "inode %u: inline size %llu but %zu bytes stored", ei->ino,
				    (unsigned long long)size, INLINE_IBLOCK + vlen);
	ei->inline_size = S_ISDIR(raw->i_mode) ? MAX((size_t)size, (size_t)INLINE_IBLOCK) : (size_t)size;
	ei->inline_data = kmalloc(MAX(ei->inline_size, (size_t)INLINE_IBLOCK));
	if (!ei->inline_data)
		return -ENOMEM;
	memcpy(ei->inline_data, raw->i_block, INLINE_IBLOCK);
	if (ei->inline_size > INLINE_IBLOCK)
		memcpy(ei->inline_data + INLINE_IBLOCK, val, ei->inline_size - INLINE_IBLOCK);
	return 0;
}
