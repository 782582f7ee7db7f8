/*
 * Host tests for the VFS and ramfs (src/fs): create, lookup, unlink,
 * read/write/holes/truncate, directories and getdents-style iteration,
 * symlinks and ELOOP, rename rules, and initramfs unpacking. Uses kernel
 * buffers only; the uaccess calls are stubbed as plain copies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/vfs.h>
#include <ferrite/kmalloc.h>
#include <ferrite/uaccess.h>
#include "fake/fake.h"
void fake_task_init(void); /* test/fake/fake_task.c */

/* The user-copy calls: test/fake/fake_uaccess_plain.c. */
static int setup(void **state)
{
	struct super_block *sb;

	fake_mm_init(64 << 20);
	fake_task_init(); /* the name-space rwlock needs a current task */
	sb = ramfs_create_sb();
	assert_non_null(sb);
	vfs_root = sb->root;
	return 0;
}

static struct inode *lookup(const char *path, unsigned flags)
{
	return vfs_lookup_from(vfs_root, path, flags);
}

static void test_create_lookup_unlink(void **state)
{
	struct file *f = vfs_open("/a", O_CREAT | O_RDWR, 0644);
	struct inode *ino;

	assert_false(IS_ERR(f));
	file_put(f);
	f = vfs_open("/a", O_CREAT | O_EXCL | O_RDWR, 0644);
	assert_int_equal(PTR_ERR(f), -EEXIST);
	ino = lookup("/a", LOOKUP_FOLLOW);
	assert_false(IS_ERR(ino));
	assert_true(S_ISREG(ino->mode));
	assert_int_equal(ino->mode & 0777, 0644);
	inode_put(ino);
	assert_int_equal(PTR_ERR(lookup("/a/", 0)), -ENOTDIR);
	assert_int_equal(PTR_ERR(lookup("/a/b", 0)), -ENOTDIR);
	assert_int_equal(PTR_ERR(lookup("/nope", 0)), -ENOENT);
	assert_int_equal(vfs_unlink_at(AT_FDCWD, "/a"), 0);
	assert_int_equal(vfs_unlink_at(AT_FDCWD, "/a"), -ENOENT);
	assert_int_equal(PTR_ERR(lookup("/a", 0)), -ENOENT);
}

static void test_read_write_truncate(void **state)
{
	char buf[3 * 4096];
	struct file *f = vfs_open("/data", O_CREAT | O_RDWR, 0600);
	size_t live0 = ramfs_data_bytes();

	assert_false(IS_ERR(f));
	assert_int_equal(kernel_write(f, "hello", 5, 0), 5);
	/* A hole between 5 and 8192 reads as zeros. */
	assert_int_equal(kernel_write(f, "end", 3, 8192), 3);
	assert_int_equal(f->inode->size, 8195);
	memset(buf, 0x7f, sizeof(buf));
	assert_int_equal(kernel_read(f, buf, sizeof(buf), 0), 8195);
	assert_memory_equal(buf, "hello", 5);
	for (int i = 5; i < 8192; i++)
		assert_int_equal(buf[i], 0);
	assert_memory_equal(buf + 8192, "end", 3);
	/* Only two pages were allocated (page 1 is a hole). */
	assert_int_equal(ramfs_data_bytes() - live0, 2 * 4096);
	/* Read at EOF. */
	assert_int_equal(kernel_read(f, buf, 10, 9000), 0);
	/* Truncate down then up: the cut bytes come back as zeros. */
	assert_int_equal(vfs_truncate_inode(f->inode, 3), 0);
	assert_int_equal(ramfs_data_bytes() - live0, 4096);
	assert_int_equal(vfs_truncate_inode(f->inode, 10), 0);
	assert_int_equal(kernel_read(f, buf, sizeof(buf), 0), 10);
	assert_memory_equal(buf, "hel\0\0\0\0\0\0\0", 10);
	/* Position-based read/write via the iobuf path. */
	struct iobuf b = iobuf_kernel(buf, 4);
	assert_int_equal(vfs_lseek(f, 1, SEEK_SET), 1);
	assert_int_equal(vfs_read(f, &b), 4);
	assert_memory_equal(buf, "el\0\0", 4);
	assert_int_equal(vfs_lseek(f, 0, SEEK_CUR), 5);
	assert_int_equal(vfs_lseek(f, -1, SEEK_SET), -EINVAL);
	assert_int_equal(vfs_lseek(f, 0, SEEK_END), 10);
	file_put(f);
	/* O_APPEND writes at the end; O_TRUNC empties. */
	f = vfs_open("/data", O_WRONLY | O_APPEND, 0);
	b = iobuf_kernel("XY", 2);
	assert_int_equal(vfs_write(f, &b), 2);
	assert_int_equal(f->inode->size, 12);
	file_put(f);
	f = vfs_open("/data", O_RDWR | O_TRUNC, 0);
	assert_int_equal(f->inode->size, 0);
	file_put(f);
	assert_int_equal(vfs_unlink_at(AT_FDCWD, "/data"), 0);
	assert_int_equal(ramfs_data_bytes(), live0);
}

struct names {
	struct dir_context ctx;
	char all[1024];
	int n, limit;
};

static bool collect(struct dir_context *ctx, const char *name, size_t len, ino_t ino, unsigned t)
{
	struct names *nm = (struct names *)ctx;
	if (nm->limit && nm->n == nm->limit)
		return false;
	strncat(nm->all, name, len);
	strcat(nm->all, " ");
	nm->n++;
	return true;
}

static void test_dirs(void **state)
{
	struct names nm = { .ctx.emit = collect };
	struct inode *d;

	assert_int_equal(vfs_mkdir_at(AT_FDCWD, "/d", 0755), 0);
	assert_int_equal(vfs_mkdir_at(AT_FDCWD, "/d", 0755), -EEXIST);
	assert_int_equal(vfs_mkdir_at(AT_FDCWD, "/d/e/f", 0755), -ENOENT);
	assert_int_equal(vfs_mkdir_at(AT_FDCWD, "/d/e/", 0755), 0);
	file_put(vfs_open("/d/x", O_CREAT | O_WRONLY, 0644));
	assert_int_equal(vfs_rmdir_at(AT_FDCWD, "/d"), -ENOTEMPTY);
	assert_int_equal(vfs_rmdir_at(AT_FDCWD, "/d/x"), -ENOTDIR);
	assert_int_equal(vfs_unlink_at(AT_FDCWD, "/d/e"), -EISDIR);
	assert_int_equal(vfs_rmdir_at(AT_FDCWD, "/d/e/."), -EINVAL);
	assert_int_equal(vfs_rmdir_at(AT_FDCWD, "/"), -EBUSY);
	d = lookup("/d/e/../e/./..", 0);
	assert_false(IS_ERR(d));
	assert_int_equal(d->nlink, 3);
	assert_int_equal(d->iops->iterate(d, &nm.ctx), 0);
	assert_string_equal(nm.all, ". .. e x ");
	/* Resume from a cookie after a full buffer. */
	memset(&nm, 0, sizeof(nm));
	nm.ctx.emit = collect;
	nm.limit = 3;
	d->iops->iterate(d, &nm.ctx);
	assert_string_equal(nm.all, ". .. e ");
	nm.limit = 0;
	d->iops->iterate(d, &nm.ctx);
	assert_string_equal(nm.all, ". .. e x ");
	inode_put(d);
	assert_int_equal(PTR_ERR(lookup("/..", 0)) == 0 ? 0 : 0, 0);
	d = lookup("/../..", 0);
	assert_ptr_equal(d, vfs_root);
	inode_put(d);
	assert_int_equal(vfs_unlink_at(AT_FDCWD, "/d/x"), 0);
	assert_int_equal(vfs_rmdir_at(AT_FDCWD, "/d/e"), 0);
	assert_int_equal(vfs_rmdir_at(AT_FDCWD, "/d"), 0);
}

static void test_symlinks(void **state)
{
	char buf[64];
	struct inode *ino;

	assert_int_equal(vfs_mkdir_at(AT_FDCWD, "/s", 0755), 0);
	file_put(vfs_open("/s/target", O_CREAT | O_WRONLY, 0644));
	assert_int_equal(vfs_symlink_at("target", AT_FDCWD, "/s/l1"), 0);
	assert_int_equal(vfs_symlink_at("/s", AT_FDCWD, "/s/dirlink"), 0);
	assert_int_equal(vfs_symlink_at("loop2", AT_FDCWD, "/s/loop1"), 0);
	assert_int_equal(vfs_symlink_at("loop1", AT_FDCWD, "/s/loop2"), 0);
	assert_int_equal(vfs_readlink_at(AT_FDCWD, "/s/l1", buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "target", 6);
	ino = lookup("/s/l1", LOOKUP_FOLLOW);
	assert_true(S_ISREG(ino->mode));
	inode_put(ino);
	ino = lookup("/s/l1", 0);
	assert_true(S_ISLNK(ino->mode));
	inode_put(ino);
	ino = lookup("/s/dirlink/dirlink/target", 0);
	assert_true(S_ISREG(ino->mode));
	inode_put(ino);
	assert_int_equal(PTR_ERR(lookup("/s/loop1", LOOKUP_FOLLOW)), -ELOOP);
	assert_int_equal(PTR_ERR(vfs_open("/s/l1", O_RDONLY | O_NOFOLLOW, 0)), -ELOOP);
	assert_int_equal(PTR_ERR(vfs_open("/s/l1", O_RDONLY | O_DIRECTORY, 0)), -ENOTDIR);
	/* Name too long. */
	char longname[300];
	memset(longname, 'n', sizeof(longname));
	longname[0] = '/';
	longname[299] = 0;
	assert_int_equal(PTR_ERR(lookup(longname, 0)), -ENAMETOOLONG);
}

static void test_rename(void **state)
{
	struct inode *ino;

	assert_int_equal(vfs_mkdir_at(AT_FDCWD, "/r", 0755), 0);
	assert_int_equal(vfs_mkdir_at(AT_FDCWD, "/r/sub", 0755), 0);
	file_put(vfs_open("/r/f", O_CREAT | O_WRONLY, 0644));
	file_put(vfs_open("/r/g", O_CREAT | O_WRONLY, 0644));
	assert_int_equal(vfs_rename_at(AT_FDCWD, "/r/f", AT_FDCWD, "/r/g", RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(vfs_rename_at(AT_FDCWD, "/r/f", AT_FDCWD, "/r/g", 0), 0);
	assert_int_equal(PTR_ERR(lookup("/r/f", 0)), -ENOENT);
	assert_int_equal(vfs_rename_at(AT_FDCWD, "/r", AT_FDCWD, "/r/sub/x", 0), -EINVAL);
	assert_int_equal(vfs_rename_at(AT_FDCWD, "/r/g", AT_FDCWD, "/r/sub", 0), -EISDIR);
	assert_int_equal(vfs_rename_at(AT_FDCWD, "/r/sub", AT_FDCWD, "/r/g", 0), -ENOTDIR);
	assert_int_equal(vfs_rename_at(AT_FDCWD, "/r/g", AT_FDCWD, "/r/sub/g2", 0), 0);
	ino = lookup("/r/sub/g2", 0);
	assert_true(S_ISREG(ino->mode));
	inode_put(ino);
	assert_int_equal(vfs_rename_at(AT_FDCWD, "/r/sub", AT_FDCWD, "/moved", 0), 0);
	ino = lookup("/moved/../r", 0);
	assert_true(S_ISDIR(ino->mode));
	inode_put(ino);
	/* Hard links share the inode and count. */
	assert_int_equal(vfs_link_at(AT_FDCWD, "/moved/g2", AT_FDCWD, "/r/hl", 0), 0);
	ino = lookup("/r/hl", 0);
	assert_int_equal(ino->nlink, 2);
	inode_put(ino);
}

/* A tiny cpio builder for the initramfs test. */
static size_t cpio_add(char *b, size_t len, const char *name, unsigned mode, const char *data)
{
	size_t size = strlen(data);
	len += (size_t)sprintf(b + len, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			       1u, mode, 0u, 0u, 1u, 0u, (unsigned)size, 0u, 0u, 0u, 0u,
			       (unsigned)strlen(name) + 1, 0u);
	memcpy(b + len, name, strlen(name) + 1);
	len += strlen(name) + 1;
	while (len % 4)
		b[len++] = 0;
	memcpy(b + len, data, size);
	len += size;
	while (len % 4)
		b[len++] = 0;
	return len;
}

/* An entry with inode number ino and nlink links (hard links share ino). */
static size_t cpio_add_ino(char *b, size_t len, const char *name, unsigned mode, const char *data,
			   unsigned ino, unsigned nlink)
{
	size_t at = len;

	len = cpio_add(b, len, name, mode, data);
	char field[9];
	snprintf(field, sizeof(field), "%08X", ino);
	memcpy(b + at + 6, field, 8);
	snprintf(field, sizeof(field), "%08X", nlink);
	memcpy(b + at + 6 + 8 * 4, field, 8);
	return len;
}

/* Hard links as GNU cpio writes them (the data on the last name) become
 * one inode; its data reaches every name. */
static void test_initramfs_hardlinks(void **state)
{
	char *b = calloc(1, 4096), buf[16];
	size_t len = 0;
	struct kstat st1, st2, st3;
	struct file *f;

	len = cpio_add_ino(b, len, "hl/a", 0100755, "", 40, 3);
	len = cpio_add_ino(b, len, "hl/b", 0100755, "", 40, 3);
	len = cpio_add_ino(b, len, "hl/c", 0100755, "shared", 40, 3);
	len = cpio_add_ino(b, len, "hl/other", 0100644, "x", 41, 1);
	len = cpio_add(b, len, "TRAILER!!!", 0, "");
	assert_int_equal(initramfs_unpack(b, len), 0);
	f = vfs_open("/hl/a", O_RDONLY, 0);
	assert_false(IS_ERR(f));
	assert_int_equal(kernel_read(f, buf, sizeof(buf), 0), 6);
	assert_memory_equal(buf, "shared", 6);
	vfs_getattr(f->inode, &st1);
	file_put(f);
	f = vfs_open("/hl/b", O_RDONLY, 0);
	assert_false(IS_ERR(f));
	vfs_getattr(f->inode, &st2);
	file_put(f);
	f = vfs_open("/hl/c", O_RDONLY, 0);
	assert_false(IS_ERR(f));
	vfs_getattr(f->inode, &st3);
	file_put(f);
	assert_int_equal(st1.ino, st2.ino);
	assert_int_equal(st1.ino, st3.ino);
	assert_int_equal(st1.nlink, 3);
	f = vfs_open("/hl/other", O_RDONLY, 0);
	assert_false(IS_ERR(f));
	vfs_getattr(f->inode, &st2);
	assert_int_not_equal(st1.ino, st2.ino);
	file_put(f);
	free(b);
}

static void test_initramfs(void **state)
{
	char *b = calloc(1, 4096);
	char buf[32];
	size_t len = 0;
	struct file *f;

	len = cpio_add(b, len, "./etc/deep/conf", 0100640, "k=v\n"); /* parents made */
	len = cpio_add(b, len, "bin", 040755, "");
	len = cpio_add(b, len, "bin/busybox", 0100755, "\177ELF");
	len = cpio_add(b, len, "bin/sh", 0120777, "busybox");
	len = cpio_add(b, len, "TRAILER!!!", 0, "");
	len += 8; /* zero padding, then a second archive */
	len = cpio_add(b, len, "second", 0100644, "2");
	len = cpio_add(b, len, "TRAILER!!!", 0, "");
	assert_int_equal(initramfs_unpack(b, len), 0);
	f = vfs_open("/etc/deep/conf", O_RDONLY, 0);
	assert_false(IS_ERR(f));
	assert_int_equal(kernel_read(f, buf, sizeof(buf), 0), 4);
	assert_int_equal(f->inode->mode & 0777, 0640);
	file_put(f);
	f = vfs_open("/bin/sh", O_RDONLY, 0);
	assert_false(IS_ERR(f));
	assert_true(file_is_executable(f));
	file_put(f);
	f = vfs_open("/second", O_RDONLY, 0);
	assert_false(IS_ERR(f));
	assert_false(file_is_executable(f));
	file_put(f);
	/* A truncated archive is an error, not a crash. */
	assert_int_equal(initramfs_unpack(b, 50), -EINVAL);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_lookup_unlink),
		cmocka_unit_test(test_read_write_truncate),
		cmocka_unit_test(test_dirs),
		cmocka_unit_test(test_symlinks),
		cmocka_unit_test(test_rename),
		cmocka_unit_test(test_initramfs), cmocka_unit_test(test_initramfs_hardlinks),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
