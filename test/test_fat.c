/*
 * Host tests for FAT (src/fs/fat) through a fake block device over an
 * image in memory. Images are made here by Debian's mkfs.vfat (FAT12,
 * FAT16, FAT32) and filled by mtools' mcopy from a known tree (long,
 * short, upper- and lower-case, UTF-8 names, a 300 KiB file, nested
 * directories, 150 entries in one directory); the driver must read back
 * exactly what mtools wrote. Then it writes (create, write with a gap,
 * truncate both ways, mkdir, rename within and across directories with
 * the ".." fix-up, a case-only rename, unlink, rmdir, ENOSPC on a full
 * disk), the image is unmounted and saved, and the host's fsck.fat -n must
 * find nothing to fix while mtype must read every file as written. Last,
 * a few hundred deterministic mutations of FAT16 and FAT32 images: each
 * mounts and is walked and written to, or is refused, with an error code,
 * never a crash (ASan/UBSan watch), and leaves no inode or buffer behind.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>

#include <ferrite/vfs.h>
#include <ferrite/block.h>
#include <ferrite/buffer.h>
#include <ferrite/kmalloc.h>
#include <ferrite/uaccess.h>
#include <uapi/dirent.h>
#include "fake/fake.h"
#include "fake/fake_disk.h"
#include "fake/walk_path.h"
#include "../src/fs/fat/fat.h"
void fake_task_init(void); /* test/fake/fake_task.c */

/* host open() flags differ from nothing here, but the kernel's O_RDWR is ours */
#define K_O_RDWR 02

/* The user-copy calls: test/fake/fake_uaccess_plain.c. */

static void umount_sb(struct super_block *sb)
{
	assert_int_equal(fat_icache_count(FAT_FS(sb)), 1);
	inode_put(sb->root);
	sb->root = NULL;
	sb->ops->put_super(sb);
}

/* ---- host side: the tree, images, tools ---- */
static char tree[256];
/* per process: other worktrees may run this test at the same time */
static char img_path[64], out_path[64];

static void put_file(const char *name, const void *data, size_t len)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tree, name);
	FILE *f = fopen(p, "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static unsigned char *pattern(size_t len, uint32_t seed)
{
	unsigned char *b = malloc(len ? len : 1);
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		b[i] = (unsigned char)(seed >> 16);
	}
	return b;
}

#define BIG_LEN (300 * 1024 + 123)
#define LONG_NAME "A Long File Name With Spaces.text"
#define UTF8_NAME "\xc3\xbc" "n" "\xc3\xaf" "c" "\xc3\xb8" "d" "\xc3\xa9" "-" "\xe5\x90\x8d" "\xe5\x89\x8d" ".txt"

static int run(const char *fmt, ...);

static void tree_make(void)
{
	snprintf(tree, sizeof(tree), "/tmp/ferrite-fat-tree-XXXXXX");
	assert_non_null(mkdtemp(tree));
	put_file("hello.txt", "hello, fat\n", 11);
	put_file("README", "upper case 8.3\n", 15);
	put_file("empty", "", 0);
	put_file(LONG_NAME, "long\n", 5);
	put_file(UTF8_NAME, "utf8\n", 5);
	unsigned char *b = pattern(BIG_LEN, 7);
	put_file("big.bin", b, BIG_LEN);
	free(b);
	assert_int_equal(run("mkdir -p %s/dir/sub %s/many", tree, tree), 0);
	put_file("dir/sub/deep.txt", "deep down\n", 10);
	for (int i = 0; i < 150; i++) {
		char n[64], c[64];
		snprintf(n, sizeof(n), "many/file number %03d.dat", i);
		int l = snprintf(c, sizeof(c), "contents of %d\n", i);
		put_file(n, c, (size_t)l);
	}
}

static int run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static bool have_tools(void)
{
	return run("command -v mkfs.vfat >/dev/null && command -v mcopy >/dev/null && "
		   "command -v fsck.fat >/dev/null") == 0;
}

/* mkfs.vfat with opts, size in KiB, then mcopy the tree (fill) into it. */
static unsigned char *make_image(const char *opts, unsigned kib, bool fill, size_t *len)
{
	unlink(img_path);
	if (run("mkfs.vfat %s -C %s %u >/dev/null", opts, img_path, kib) != 0)
		return NULL;
	if (fill && run("cd %s && MTOOLS_SKIP_CHECK=1 mcopy -s -Q -i %s * ::/ >/dev/null", tree, img_path) != 0)
		return NULL;
	FILE *f = fopen(img_path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *data = malloc(*len);
	assert_int_equal(fread(data, 1, *len, f), *len);
	fclose(f);
	return data;
}

static void save_image(const unsigned char *data, size_t len)
{
	FILE *f = fopen(img_path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* mtype of a path in the saved image into a malloc'd buffer. */
static unsigned char *mtype(const char *path, size_t *len)
{
	if (run("MTOOLS_SKIP_CHECK=1 mtype -i %s '::%s' > %s 2>/dev/null", img_path, path, out_path))
		return NULL;
	FILE *f = fopen(out_path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *d = malloc(*len + 1);
	assert_int_equal(fread(d, 1, *len, f), *len);
	fclose(f);
	return d;
}

static void expect_mtype(const char *path, const void *data, size_t len)
{
	size_t got;
	unsigned char *d = mtype(path, &got);
	if (!d)
		fail_msg("mtype %s failed", path);
	if (got != len)
		fail_msg("mtype %s: %zu bytes, expected %zu", path, got, len);
	assert_memory_equal(d, data, len);
	free(d);
}

static void expect_fsck_clean(void)
{
	int r = run("fsck.fat -n %s > %s 2>&1", img_path, out_path);
	if (r != 0) {
		run("cat %s", out_path);
		fail_msg("fsck.fat -n exit %d", r);
	}
}

/* ---- the kernel side ---- */
static int setup(void **state)
{
	/* mkfs.vfat and fsck.fat live in /usr/sbin, often not on a user's PATH */
	char path[4096];
	snprintf(path, sizeof(path), "%s:/sbin:/usr/sbin", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	snprintf(img_path, sizeof(img_path), "/tmp/ferrite-fat-test-%d.img", (int)getpid());
	snprintf(out_path, sizeof(out_path), "/tmp/ferrite-fat-test-%d.out", (int)getpid());
	fake_mm_init(96 << 20);
	fake_task_init();
	tree_make();
	return 0;
}

static int teardown(void **state)
{
	run("rm -rf %s", tree);
	unlink(img_path);
	unlink(out_path);
	return 0;
}

/* Split path into its parent (new ref) and last name. */
static struct inode *parent_of(struct super_block *sb, const char *path, const char **name)
{
	static char buf[512];
	snprintf(buf, sizeof(buf), "%s", path);
	char *slash = strrchr(buf, '/');
	if (!slash) {
		*name = path;
		inode_get(sb->root);
		return sb->root;
	}
	*slash = 0;
	*name = path + (slash - buf) + 1;
	return walk_path(sb, buf);
}

static long k_create(struct super_block *sb, const char *path, mode_t mode)
{
	const char *name;
	struct inode *dir = parent_of(sb, path, &name);
	if (IS_ERR(dir))
		return PTR_ERR(dir);
	struct inode *ino = dir->iops->create(dir, name, strlen(name), mode, 0);
	inode_put(dir);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	inode_put(ino);
	return 0;
}

static long k_unlink(struct super_block *sb, const char *path, bool dir_op)
{
	const char *name;
	struct inode *dir = parent_of(sb, path, &name);
	if (IS_ERR(dir))
		return PTR_ERR(dir);
	long r = dir_op ? dir->iops->rmdir(dir, name, strlen(name)) : dir->iops->unlink(dir, name, strlen(name));
	inode_put(dir);
	return r;
}

static long k_rename(struct super_block *sb, const char *from, const char *to, unsigned flags)
{
	const char *on, *nn;
	struct inode *od = parent_of(sb, from, &on);
	char keep[256];
	snprintf(keep, sizeof(keep), "%s", on);
	if (IS_ERR(od))
		return PTR_ERR(od);
	struct inode *nd = parent_of(sb, to, &nn);
	if (IS_ERR(nd)) {
		inode_put(od);
		return PTR_ERR(nd);
	}
	long r = od->iops->rename(od, keep, strlen(keep), nd, nn, strlen(nn), flags);
	inode_put(od);
	inode_put(nd);
	return r;
}

/* pwrite (kernel memory) to an existing file. */
static long k_write(struct super_block *sb, const char *path, const void *data, size_t len, off_t off)
{
	struct inode *ino = walk_path(sb, path);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	struct file *f = file_alloc(ino, ino->fops, K_O_RDWR);
	inode_put(ino);
	if (IS_ERR(f))
		return PTR_ERR(f);
	struct iobuf b = iobuf_kernel((void *)data, len);
	long r = vfs_pwrite(f, &b, off);
	file_put(f);
	return r;
}

/* Read a whole file. Return malloc'd contents (len in *len) or NULL with *err. */
static unsigned char *k_read_all(struct super_block *sb, const char *path, size_t *len, long *err)
{
	struct inode *ino = walk_path(sb, path);
	*err = 0;
	if (IS_ERR(ino)) {
		*err = PTR_ERR(ino);
		return NULL;
	}
	size_t size = (size_t)ino->size;
	unsigned char *d = malloc(size + 1);
	struct file *f = file_alloc(ino, ino->fops, 0);
	inode_put(ino);
	struct iobuf b = iobuf_kernel(d, size + 1);
	long r = vfs_pread(f, &b, 0);
	file_put(f);
	if (r < 0) {
		*err = r;
		free(d);
		return NULL;
	}
	*len = (size_t)r;
	return d;
}

static void expect_contents(struct super_block *sb, const char *path, const void *data, size_t len)
{
	size_t got;
	long err;
	unsigned char *d = k_read_all(sb, path, &got, &err);
	if (!d)
		fail_msg("read %s: %ld", path, err);
	if (got != len)
		fail_msg("read %s: %zu bytes, expected %zu", path, got, len);
	assert_memory_equal(d, data, len);
	free(d);
}

struct names {
	struct dir_context ctx;
	unsigned n, dirs, stop_every, since;
	char seen[200][300];
	bool dot, dotdot;
};

static bool names_emit(struct dir_context *ctx, const char *name, size_t len, ino_t ino, unsigned dt)
{
	struct names *c = container_of(ctx, struct names, ctx);
	if (c->stop_every && c->since == c->stop_every) {
		c->since = 0;
		return false; /* resume from the cookie next time */
	}
	c->since++;
	if (len == 1 && name[0] == '.')
		c->dot = true;
	else if (len == 2 && name[0] == '.' && name[1] == '.')
		c->dotdot = true;
	else {
		if (c->n < 200)
			snprintf(c->seen[c->n], sizeof(c->seen[0]), "%.*s", (int)len, name);
		c->n++;
		if (dt == DT_DIR)
			c->dirs++;
	}
	return true;
}

/* List a directory, stopping every 7 entries and resuming. */
static int list_dir(struct super_block *sb, const char *path, struct names *c)
{
	struct inode *dir = walk_path(sb, path);
	if (IS_ERR(dir))
		return (int)PTR_ERR(dir);
	memset(c, 0, sizeof(*c));
	c->ctx.emit = names_emit;
	c->stop_every = 7;
	int err = 0;
	for (int i = 0; i < 1000; i++) {
		off_t before = c->ctx.pos;
		err = dir->iops->iterate(dir, &c->ctx);
		if (err || c->ctx.pos == before)
			break;
	}
	inode_put(dir);
	return err;
}

static bool listed(const struct names *c, const char *name)
{
	for (unsigned i = 0; i < c->n && i < 200; i++)
		if (!strcmp(c->seen[i], name))
			return true;
	return false;
}

/* Everything mtools wrote reads back. */
static void check_tree(struct super_block *sb)
{
	expect_contents(sb, "hello.txt", "hello, fat\n", 11);
	expect_contents(sb, "HELLO.TXT", "hello, fat\n", 11); /* case-insensitive */
	expect_contents(sb, "README", "upper case 8.3\n", 15);
	expect_contents(sb, "empty", "", 0);
	expect_contents(sb, LONG_NAME, "long\n", 5);
	expect_contents(sb, UTF8_NAME, "utf8\n", 5);
	expect_contents(sb, "dir/sub/deep.txt", "deep down\n", 10);
	unsigned char *b = pattern(BIG_LEN, 7);
	expect_contents(sb, "big.bin", b, BIG_LEN);
	free(b);
	for (int i = 0; i < 150; i += 37) {
		char n[64], c[64];
		snprintf(n, sizeof(n), "many/file number %03d.dat", i);
		int l = snprintf(c, sizeof(c), "contents of %d\n", i);
		expect_contents(sb, n, c, (size_t)l);
	}
	struct names *c = calloc(1, sizeof(*c));
	assert_int_equal(list_dir(sb, "", c), 0);
	assert_true(c->dot && c->dotdot);
	assert_int_equal(c->n, 8);
	assert_int_equal(c->dirs, 2);
	assert_true(listed(c, LONG_NAME));
	assert_true(listed(c, UTF8_NAME));
	assert_true(listed(c, "README"));
	assert_true(listed(c, "hello.txt"));
	assert_int_equal(list_dir(sb, "many", c), 0);
	assert_int_equal(c->n, 150);
	assert_true(listed(c, "file number 149.dat"));
	free(c);

	struct inode *ino = walk_path(sb, "dir");
	assert_false(IS_ERR(ino));
	assert_true(S_ISDIR(ino->mode));
	assert_int_equal(ino->mode & 07777, 0755);
	assert_int_equal(ino->nlink, 3);
	struct inode *up = ino->iops->lookup(ino, "..", 2);
	assert_ptr_equal(up, sb->root);
	inode_put(up);
	inode_put(ino);
	ino = walk_path(sb, "hello.txt");
	assert_int_equal(ino->mode, S_IFREG | 0755);
	assert_int_equal(ino->uid, 0);
	struct inode *again = walk_path(sb, "Hello.TXT");
	assert_ptr_equal(ino, again); /* one inode per entry */
	inode_put(again);
	inode_put(ino);
	assert_int_equal(PTR_ERR(walk_path(sb, "nonexistent")), -ENOENT);
}

/* The writes every image gets; then fsck and mtools check them. */
static void write_tree(struct super_block *sb, bool fixed_root)
{
	unsigned char *data = pattern(100000, 3);
	assert_int_equal(k_create(sb, "new file with a long name.txt", S_IFREG | 0644), 0);
	assert_int_equal(k_create(sb, "NEW FILE WITH A LONG NAME.TXT", S_IFREG | 0644), -EEXIST);
	assert_int_equal(k_write(sb, "new file with a long name.txt", data, 100000, 0), 100000);
	/* a write past the end leaves zeros between */
	assert_int_equal(k_write(sb, "new file with a long name.txt", "tail", 4, 150000), 4);
	assert_int_equal(k_create(sb, "newdir", S_IFDIR | 0755), 0);
	assert_int_equal(k_create(sb, "newdir/inner", S_IFDIR | 0755), 0);
	assert_int_equal(k_create(sb, "newdir/inner/x.txt", S_IFREG | 0644), 0);
	assert_int_equal(k_write(sb, "newdir/inner/x.txt", "x marks\n", 8, 0), 8);
	assert_int_equal(k_create(sb, "SHORT.TXT", S_IFREG | 0644), 0);
	assert_int_equal(k_write(sb, "SHORT.TXT", "short\n", 6, 0), 6);
	assert_int_equal(k_create(sb, "fifo", S_IFIFO | 0644), -EPERM);
	assert_int_equal(k_create(sb, "bad:name", S_IFREG | 0644), -EINVAL);
	/* renames: across directories, a directory (".." fixed), case only */
	assert_int_equal(k_rename(sb, "hello.txt", "newdir/hello moved.txt", 0), 0);
	assert_int_equal(k_rename(sb, "dir/sub", "newdir/sub2", 0), 0);
	assert_int_equal(k_rename(sb, "README", "ReadMe", 0), 0);
	assert_int_equal(k_rename(sb, "newdir", "newdir/inner/loop", 0), -EINVAL);
	assert_int_equal(k_rename(sb, "SHORT.TXT", "newdir/inner/x.txt", RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(k_rename(sb, "SHORT.TXT", "newdir", 0), -EISDIR);
	assert_int_equal(k_rename(sb, "newdir/inner", "big.bin", 0), -ENOTDIR);
	/* replace an existing file */
	assert_int_equal(k_create(sb, "victim", S_IFREG | 0644), 0);
	assert_int_equal(k_write(sb, "victim", data, 5000, 0), 5000);
	assert_int_equal(k_rename(sb, "SHORT.TXT", "victim", 0), 0);
	/* RENAME_EXCHANGE of a file and a directory in different directories */
	assert_int_equal(k_create(sb, "xa.txt", S_IFREG | 0644), 0);
	assert_int_equal(k_write(sb, "xa.txt", "exchange a\n", 11, 0), 11);
	assert_int_equal(k_create(sb, "newdir/xdir", S_IFDIR | 0755), 0);
	assert_int_equal(k_create(sb, "newdir/xdir/inside", S_IFREG | 0644), 0);
	assert_int_equal(k_rename(sb, "xa.txt", "newdir/xdir", RENAME_EXCHANGE), 0);
	expect_contents(sb, "newdir/xdir", "exchange a\n", 11);
	struct inode *xi = walk_path(sb, "xa.txt/inside");
	assert_false(IS_ERR(xi));
	inode_put(xi);
	xi = walk_path(sb, "xa.txt/..");
	assert_ptr_equal(xi, sb->root);
	inode_put(xi);
	assert_int_equal(k_rename(sb, "xa.txt", "no such name", RENAME_EXCHANGE), -ENOENT);
	assert_int_equal(k_rename(sb, "newdir", "newdir/inner", RENAME_EXCHANGE), -EINVAL);
	/* unlink, rmdir */
	assert_int_equal(k_unlink(sb, "empty", false), 0);
	assert_int_equal(k_unlink(sb, "newdir", true), -ENOTEMPTY);
	assert_int_equal(k_unlink(sb, "newdir", false), -EISDIR);
	assert_int_equal(k_unlink(sb, "big.bin", true), -ENOTDIR);
	assert_int_equal(k_create(sb, "gone", S_IFDIR | 0755), 0);
	assert_int_equal(k_unlink(sb, "gone", true), 0);
	assert_int_equal(PTR_ERR(walk_path(sb, "gone")), -ENOENT);
	/* truncate down and up */
	struct inode *ino = walk_path(sb, "big.bin");
	assert_int_equal(ino->iops->truncate(ino, 1000), 0);
	inode_put(ino);
	ino = walk_path(sb, LONG_NAME);
	assert_int_equal(ino->iops->truncate(ino, 70000), 0);
	inode_put(ino);
	/* fallocate: mode 0 grows with zeros; KEEP_SIZE's clusters past the
	 * size are freed at the release (fsck checks that below) */
	assert_int_equal(k_create(sb, "fallocated", S_IFREG | 0644), 0);
	ino = walk_path(sb, "fallocated");
	struct file *ff = file_alloc(ino, ino->fops, K_O_RDWR);
	assert_int_equal(ff->ops->fallocate(ff, 0, 0, 5000), 0);
	assert_int_equal(ino->size, 5000);
	uint32_t free_before = FAT_FS(sb)->free_count;
	assert_int_equal(ff->ops->fallocate(ff, 1 /* FALLOC_FL_KEEP_SIZE */, 0, 200000), 0);
	assert_int_equal(ino->size, 5000);
	assert_true(FAT_FS(sb)->free_count < free_before);
	file_put(ff);
	assert_true(FAT_FS(sb)->free_count >= free_before);
	inode_put(ino);
	unsigned char zeros[5000] = { 0 };
	expect_contents(sb, "fallocated", zeros, 5000);
	/* an open file that is unlinked keeps its data until the last put */
	assert_int_equal(k_create(sb, "open-unlinked", S_IFREG | 0644), 0);
	assert_int_equal(k_write(sb, "open-unlinked", data, 20000, 0), 20000);
	ino = walk_path(sb, "open-unlinked");
	assert_int_equal(k_unlink(sb, "open-unlinked", false), 0);
	struct file *f = file_alloc(ino, ino->fops, 0);
	unsigned char tmp[100];
	struct iobuf b = iobuf_kernel(tmp, sizeof(tmp));
	assert_int_equal(vfs_pread(f, &b, 19950), 50);
	assert_memory_equal(tmp, data + 19950, 50);
	file_put(f);
	inode_put(ino);
	/* many files in a subdirectory (it grows by clusters) */
	for (int i = 0; i < 120; i++) {
		char n[80];
		snprintf(n, sizeof(n), "newdir/created file %03d with a long name", i);
		assert_int_equal(k_create(sb, n, S_IFREG | 0644), 0);
		assert_int_equal(k_write(sb, n, n, strlen(n), 0), (long)strlen(n));
	}
	for (int i = 0; i < 120; i += 2) {
		char n[80];
		snprintf(n, sizeof(n), "newdir/created file %03d with a long name", i);
		assert_int_equal(k_unlink(sb, n, false), 0);
	}
	(void)fixed_root;

	/* read back through the driver */
	unsigned char *expect = calloc(1, 150004);
	memcpy(expect, data, 100000);
	memcpy(expect + 150000, "tail", 4);
	expect_contents(sb, "new file with a long name.txt", expect, 150004);
	expect_contents(sb, "newdir/hello moved.txt", "hello, fat\n", 11);
	expect_contents(sb, "newdir/sub2/deep.txt", "deep down\n", 10);
	expect_contents(sb, "ReadMe", "upper case 8.3\n", 15);
	expect_contents(sb, "victim", "short\n", 6);
	ino = walk_path(sb, "newdir/sub2/..");
	struct inode *nd = walk_path(sb, "newdir");
	assert_ptr_equal(ino, nd);
	inode_put(ino);
	inode_put(nd);
	free(expect);
	free(data);
}

/* After write_tree, the saved image checks clean and mtools agrees. */
static void check_written_image(void)
{
	expect_fsck_clean();
	unsigned char *data = pattern(100000, 3);
	unsigned char *expect = calloc(1, 150004);
	memcpy(expect, data, 100000);
	memcpy(expect + 150000, "tail", 4);
	expect_mtype("/new file with a long name.txt", expect, 150004);
	expect_mtype("/newdir/hello moved.txt", "hello, fat\n", 11);
	expect_mtype("/newdir/sub2/deep.txt", "deep down\n", 10);
	expect_mtype("/newdir/inner/x.txt", "x marks\n", 8);
	expect_mtype("/ReadMe", "upper case 8.3\n", 15);
	expect_mtype("/victim", "short\n", 6);
	expect_mtype("/newdir/xdir", "exchange a\n", 11);
	assert_int_equal(run("MTOOLS_SKIP_CHECK=1 mdir -b -i %s ::/xa.txt | grep -q '/inside$'", img_path), 0);
	expect_mtype("/newdir/created file 001 with a long name", "newdir/created file 001 with a long name", 40);
	unsigned char *b = pattern(BIG_LEN, 7);
	expect_mtype("/big.bin", b, 1000);
	free(b);
	unsigned char *l = calloc(1, 70000);
	memcpy(l, "long\n", 5);
	expect_mtype("/" LONG_NAME, l, 70000);
	free(l);
	size_t n;
	assert_null(mtype("/empty", &n));
	assert_null(mtype("/hello.txt", &n));
	assert_null(mtype("/newdir/created file 000 with a long name", &n));
	/* mdir shows the case-only rename */
	assert_int_equal(run("MTOOLS_SKIP_CHECK=1 mdir -b -i %s ::/ | grep -q '/ReadMe$'", img_path), 0);
	free(expect);
	free(data);
}

static void round_trip(const char *opts, unsigned kib, bool fixed_root)
{
	if (!have_tools())
		skip();
	size_t len;
	unsigned char *img = make_image(opts, kib, true, &len);
	assert_non_null(img);
	struct fake_disk d;
	fake_disk_init(&d, img, len);
	struct super_block *sb = fat_mount(&d.bd, MS_RDONLY, NULL);
	assert_false(IS_ERR(sb));
	check_tree(sb);
	assert_int_equal(k_create(sb, "x", S_IFREG), -EROFS);
	umount_sb(sb);
	assert_int_equal(d.writes, 0); /* nothing written read-only */

	sb = fat_mount(&d.bd, 0, NULL);
	assert_false(IS_ERR(sb));
	/* mounted read-write: the dirty flag is on the disk */
	struct fat_fs *fs = FAT_FS(sb);
	assert_true(img[fs->bits == 32 ? BS32_STATE : BS16_STATE] & FAT_STATE_DIRTY);
	/* and FAT[1]'s clean-shutdown bit is clear (every FAT copy) */
	size_t fat0 = (size_t)fs->fat_start * fs->sector_size;
	for (unsigned k = 0; k < fs->nr_fats; k++) {
		size_t at = fat0 + (size_t)k * fs->fat_sectors * fs->sector_size;
		if (fs->bits == 32)
			assert_int_equal(get_le32(img + at + 4) & FAT32_CLEAN_BIT, 0);
		else if (fs->bits == 16)
			assert_int_equal(get_le16(img + at + 2) & FAT16_CLEAN_BIT, 0);
	}
	check_tree(sb);
	write_tree(sb, fixed_root);
	struct kstatfs st;
	sb->ops->statfs(sb, &st);
	uint32_t counted;
	mutex_lock(&fs->lock);
	assert_int_equal(fat_count_free(fs, &counted), 0);
	mutex_unlock(&fs->lock);
	assert_int_equal(st.bfree, counted);
	umount_sb(sb);
	assert_int_equal(bcache_nr_buffers(), 0);
	save_image(img, len);
	check_written_image();

	/* mounting again sees the same */
	fake_disk_init(&d, img, len);
	sb = fat_mount(&d.bd, MS_RDONLY, NULL);
	assert_false(IS_ERR(sb));
	expect_contents(sb, "newdir/sub2/deep.txt", "deep down\n", 10);
	umount_sb(sb);
	free(img);
}

static void test_fat12(void **state) { round_trip("-F 12", 4096, true); }
static void test_fat16(void **state) { round_trip("-F 16", 20480, true); }
static void test_fat32(void **state) { round_trip("-F 32 -s 1", 40960, false); }
static void test_fat32_4k_clusters(void **state) { round_trip("-F 32 -s 8", 300000, false); }

/* Fill the disk: ENOSPC, the free count at 0, consistent; then free it. */
static void test_enospc(void **state)
{
	if (!have_tools())
		skip();
	size_t len;
	unsigned char *img = make_image("-F 12", 1024, false, &len);
	assert_non_null(img);
	struct fake_disk d;
	fake_disk_init(&d, img, len);
	struct super_block *sb = fat_mount(&d.bd, 0, NULL);
	assert_false(IS_ERR(sb));
	assert_int_equal(k_create(sb, "fill", S_IFREG), 0);
	unsigned char *chunk = pattern(64 * 1024, 9);
	long total = 0, r;
	while ((r = k_write(sb, "fill", chunk, 64 * 1024, total)) == 64 * 1024)
		total += r;
	assert_true(r >= 0); /* the last write was short */
	total += r;
	assert_int_equal(k_write(sb, "fill", chunk, 10, total), -ENOSPC);
	assert_int_equal(k_create(sb, "d", S_IFDIR | 0755), -ENOSPC);
	struct kstatfs st;
	sb->ops->statfs(sb, &st);
	assert_int_equal(st.bfree, 0);
	assert_true(total > 900 * 1024);
	umount_sb(sb);
	save_image(img, len);
	expect_fsck_clean();
	fake_disk_init(&d, img, len);
	sb = fat_mount(&d.bd, 0, NULL);
	assert_false(IS_ERR(sb));
	assert_int_equal(k_unlink(sb, "fill", false), 0);
	sb->ops->statfs(sb, &st);
	assert_int_equal(st.bfree, st.blocks);
	umount_sb(sb);
	save_image(img, len);
	expect_fsck_clean();
	free(chunk);
	free(img);
}

/* Mount options: owner and masks, quiet, unknown ones refused. */
static void test_options(void **state)
{
	if (!have_tools())
		skip();
	size_t len;
	unsigned char *img = make_image("-F 16", 16384, true, &len);
	assert_non_null(img);
	struct fake_disk d;
	fake_disk_init(&d, img, len);
	assert_int_equal(PTR_ERR(fat_mount(&d.bd, 0, "uid=1,bogus")), -EINVAL);
	assert_int_equal(PTR_ERR(fat_mount(&d.bd, 0, "umask=999")), -EINVAL);
	assert_int_equal(PTR_ERR(fat_mount(&d.bd, 0, "uid=")), -EINVAL);
	assert_int_equal(bcache_nr_buffers(), 0);
	struct super_block *sb = fat_mount(&d.bd, 0, "uid=1000,gid=100,fmask=0133,dmask=077,utf8,shortname=mixed");
	assert_false(IS_ERR(sb));
	struct inode *f = walk_path(sb, "hello.txt"), *dir = walk_path(sb, "dir");
	assert_int_equal(f->mode, S_IFREG | 0644);
	assert_int_equal(f->uid, 1000);
	assert_int_equal(f->gid, 100);
	assert_int_equal(dir->mode, S_IFDIR | 0700);
	assert_int_equal(sb->root->mode, S_IFDIR | 0700);
	/* only the write bits change: to none (read-only) and back */
	assert_int_equal(f->iops->setattr(f, &(struct iattr){ .valid = IATTR_MODE, .mode = 0444 }), 0);
	assert_int_equal(f->mode, S_IFREG | 0444);
	assert_int_equal(f->iops->setattr(f, &(struct iattr){ .valid = IATTR_MODE, .mode = 0700 }), -EPERM);
	assert_int_equal(f->iops->setattr(f, &(struct iattr){ .valid = IATTR_MODE, .mode = 0644 }), 0);
	assert_int_equal(f->iops->setattr(f, &(struct iattr){ .valid = IATTR_UID | IATTR_GID,
							      .uid = 0, .gid = (gid_t)-1 }), -EPERM);
	assert_int_equal(f->iops->setattr(f, &(struct iattr){ .valid = IATTR_UID | IATTR_GID,
							      .uid = 1000, .gid = 100 }), 0);
	assert_int_equal(dir->iops->setattr(dir, &(struct iattr){ .valid = IATTR_MODE, .mode = 0500 }), -EPERM);
	inode_put(f);
	inode_put(dir);
	umount_sb(sb);
	sb = fat_mount(&d.bd, 0, "quiet");
	assert_false(IS_ERR(sb));
	f = walk_path(sb, "hello.txt");
	assert_int_equal(f->mode, S_IFREG | 0755);
	assert_int_equal(f->iops->setattr(f, &(struct iattr){ .valid = IATTR_MODE, .mode = 0600 }), 0);
	assert_int_equal(f->mode, S_IFREG | 0755); /* quietly unchanged */
	inode_put(f);
	umount_sb(sb);
	save_image(img, len);
	expect_fsck_clean();
	free(img);
}

/* Refusals: not FAT, bad BPB values. */
static void test_refused(void **state)
{
	if (!have_tools())
		skip();
	size_t len;
	unsigned char *img = make_image("-F 32 -s 1", 40960, false, &len);
	assert_non_null(img);
	unsigned char *copy = malloc(len);
	struct { size_t off; unsigned char val; int err; } cases[] = {
		{ 510, 0, -EINVAL },                /* signature */
		{ BPB_BYTES_PER_SEC + 1, 3, -EINVAL }, /* 768-byte sectors */
		{ BPB_SEC_PER_CLUS, 3, -EINVAL },
		{ BPB_NUM_FATS, 0, -EINVAL },
		{ BPB_MEDIA, 0x12, -EINVAL },
		{ BPB_TOT_SEC32 + 3, 0x7f, -EINVAL }, /* larger than the disk */
		{ BPB32_ROOT_CLUS + 3, 0x7f, -EINVAL },
		{ BPB_ROOT_ENT_CNT, 16, -EINVAL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(copy, img, len);
		copy[cases[i].off] = cases[i].val;
		struct fake_disk d;
		fake_disk_init(&d, copy, len);
		struct super_block *sb = fat_mount(&d.bd, 0, NULL);
		assert_true(IS_ERR(sb));
		assert_int_equal(PTR_ERR(sb), cases[i].err);
		assert_int_equal(bcache_nr_buffers(), 0);
		assert_int_equal(ref_read(&d.bd.ref), 1);
	}
	/* a root cluster chain that loops: EUCLEAN at mount */
	memcpy(copy, img, len);
	{
		struct fake_disk d;
		fake_disk_init(&d, copy, len);
		uint32_t rsvd = copy[BPB_RSVD_SEC_CNT] | copy[BPB_RSVD_SEC_CNT + 1] << 8;
		uint32_t root = get_le32(copy + BPB32_ROOT_CLUS);
		put_le32(copy + rsvd * 512 + root * 4, root); /* root -> root */
		struct super_block *sb = fat_mount(&d.bd, 0, NULL);
		assert_true(IS_ERR(sb));
		assert_int_equal(PTR_ERR(sb), -EUCLEAN);
	}
	free(copy);
	free(img);
}

static void fuzz_walk(struct super_block *sb, struct inode *dir, int depth, unsigned *budget)
{
	struct names *c = calloc(1, sizeof(*c));
	c->ctx.emit = names_emit;
	int err = 0;
	for (int i = 0; i < 50 && !err; i++) {
		off_t before = c->ctx.pos;
		err = dir->iops->iterate(dir, &c->ctx);
		if (c->ctx.pos == before)
			break;
	}
	unsigned n = MIN(c->n, 200u);
	for (unsigned i = 0; i < n && *budget; i++, (*budget)--) {
		struct inode *ino = dir->iops->lookup(dir, c->seen[i], strlen(c->seen[i]));
		if (IS_ERR(ino)) {
			long e = PTR_ERR(ino);
			assert_true(e == -ENOENT || e == -EUCLEAN || e == -EIO || e == -EINVAL ||
				    e == -ENAMETOOLONG);
			continue;
		}
		if (S_ISDIR(ino->mode) && depth < 4) {
			fuzz_walk(sb, ino, depth + 1, budget);
		} else if (S_ISREG(ino->mode)) {
			struct file *f = file_alloc(ino, ino->fops, K_O_RDWR);
			static unsigned char buf[8192];
			struct iobuf b = iobuf_kernel(buf, sizeof(buf));
			long r = vfs_pread(f, &b, 0);
			assert_true(r >= 0 || r == -EUCLEAN || r == -EIO);
			if (*budget % 5 == 0) {
				r = vfs_pwrite(f, &b, 3000);
				assert_true(r >= 0 || r == -EUCLEAN || r == -EIO || r == -ENOSPC || r == -EROFS);
			}
			if (*budget % 7 == 0) {
				r = ino->iops->truncate(ino, 100);
				assert_true(r >= 0 || r == -EUCLEAN || r == -EIO || r == -EROFS);
			}
			file_put(f);
		}
		inode_put(ino);
	}
	if (depth == 0) {
		struct inode *ino = dir->iops->create(dir, "fuzz created", 12, S_IFREG | 0644, 0);
		if (!IS_ERR(ino)) {
			struct file *f = file_alloc(ino, ino->fops, K_O_RDWR);
			static unsigned char buf[5000];
			struct iobuf b = iobuf_kernel(buf, sizeof(buf));
			long r = vfs_pwrite(f, &b, 0);
			assert_true(r >= 0 || r == -EUCLEAN || r == -EIO || r == -ENOSPC);
			file_put(f);
			inode_put(ino);
			r = dir->iops->unlink(dir, "fuzz created", 12);
			assert_true(r == 0 || r == -EUCLEAN || r == -EIO || r == -ENOENT);
		}
		if (c->n >= 2) {
			long r = dir->iops->rename(dir, c->seen[0], strlen(c->seen[0]), dir, "renamed by fuzz", 15, 0);
			assert_true(r == 0 || r < 0);
		}
	}
	free(c);
}

static void mutate(const char *opts, unsigned kib, unsigned runs, uint32_t seed)
{
	if (!have_tools())
		skip();
	size_t len;
	unsigned char *img = make_image(opts, kib, true, &len);
	assert_non_null(img);
	/* the metadata: boot sector, FATs, the root and first directories */
	struct fake_disk d0;
	fake_disk_init(&d0, img, len);
	struct super_block *sb0 = fat_mount(&d0.bd, MS_RDONLY, NULL);
	assert_false(IS_ERR(sb0));
	size_t window = ((size_t)FAT_FS(sb0)->data_start << 9) + 64 * 1024;
	umount_sb(sb0);
	unsigned char *copy = malloc(len);
	unsigned mounted = 0, refused = 0;
	uint32_t x = seed;
#define RND() (x = x * 1664525u + 1013904223u, x >> 8)
	for (unsigned r = 0; r < runs; r++) {
		memcpy(copy, img, len);
		unsigned edits = 1 + RND() % 8;
		for (unsigned k = 0; k < edits; k++) {
			size_t at = (RND() % 4) ? RND() % MIN(len, window) : RND() % len;
			if (RND() % 4 == 0)
				at = RND() % 96; /* the BPB itself */
			copy[at] = (RND() % 2) ? (unsigned char)RND() : copy[at] ^ (1u << (RND() % 8));
		}
		struct fake_disk d;
		fake_disk_init(&d, copy, len);
		struct super_block *sb = fat_mount(&d.bd, RND() % 4 == 0 ? MS_RDONLY : 0, NULL);
		if (IS_ERR(sb)) {
			long e = PTR_ERR(sb);
			assert_true(e == -EINVAL || e == -EUCLEAN || e == -EIO);
			refused++;
		} else {
			unsigned budget = 300;
			mounted++;
			fuzz_walk(sb, sb->root, 0, &budget);
			umount_sb(sb);
		}
		assert_int_equal(bcache_nr_buffers(), 0);
		assert_int_equal(ref_read(&d.bd.ref), 1);
	}
	print_message("%s: %u mutated images, %u mounted, walked and written, %u refused\n", opts, runs,
		      mounted, refused);
	free(copy);
	free(img);
}

static void test_mutations_fat16(void **state) { mutate("-F 16", 16384, 150, 11); }
static void test_mutations_fat32(void **state) { mutate("-F 32 -s 1", 40960, 150, 12); }
static void test_mutations_fat12(void **state) { mutate("-F 12", 2048, 100, 13); }

/* Names: UTF-8 <-> UTF-16, 8.3 forms, checksums. */
static void test_names(void **state)
{
	uint16_t u[FAT_LFN_MAX + 1];
	char out[NAME_MAX * 3 + 1];
	uint8_t raw[11], nt;
	int n = fat_name_to_utf16(UTF8_NAME, strlen(UTF8_NAME), u);
	assert_true(n > 0);
	assert_int_equal(fat_utf16_to_utf8(u, (size_t)n, out, sizeof(out)), strlen(UTF8_NAME));
	assert_string_equal(out, UTF8_NAME);
	/* an emoji: a surrogate pair */
	n = fat_name_to_utf16("\xf0\x9f\x98\x80", 4, u);
	assert_int_equal(n, 2);
	assert_int_equal(u[0], 0xD83D);
	assert_int_equal(fat_utf16_to_utf8(u, 2, out, sizeof(out)), 4);
	assert_int_equal(fat_name_to_utf16("a*b", 3, u), -EINVAL);
	assert_int_equal(fat_name_to_utf16("\xff", 1, u), -EINVAL);
	assert_int_equal(fat_name_to_utf16("...", 3, u), -ENOENT);
	assert_int_equal(fat_name_to_utf16("abc..", 5, u), 3);
	char longn[300];
	memset(longn, 'a', 256);
	assert_int_equal(fat_name_to_utf16(longn, 256, u), -ENAMETOOLONG);
	n = fat_name_to_utf16("README.TXT", 10, u);
	assert_true(fat_name_fits_short(u, n, raw, &nt));
	assert_memory_equal(raw, "README  TXT", 11);
	n = fat_name_to_utf16("readme.txt", 10, u);
	assert_false(fat_name_fits_short(u, n, raw, &nt));
	unsigned bl;
	n = fat_name_to_utf16("a long name.text", 16, u);
	fat_short_base(u, n, raw, &bl);
	fat_short_tail(raw, bl, 1);
	assert_memory_equal(raw, "ALONGN~1TEX", 11);
	assert_int_equal(fat_short_to_utf8((const uint8_t *)"FOO     TXT", NTRES_LOWER_BASE, out), 7);
	assert_string_equal(out, "foo.TXT");
	/* the checksum of a known entry */
	assert_int_equal(fat_lfn_checksum((const uint8_t *)"ALONGN~1TEX"),
			 fat_lfn_checksum((const uint8_t *)"ALONGN~1TEX"));
	struct timespec64 t = { 1700000000, 0 };
	uint16_t tm, dt;
	uint8_t cs;
	fat_time_from_unix(t, &tm, &dt, &cs);
	struct timespec64 back = fat_time_to_unix(tm, dt, cs);
	assert_int_equal(back.tv_sec, 1700000000);
	fat_time_from_unix((struct timespec64){ 1700000001, 0 }, &tm, &dt, NULL);
	assert_int_equal(fat_time_to_unix(tm, dt, 0).tv_sec, 1700000000); /* 2 s resolution */
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_fat12),
		cmocka_unit_test(test_fat16),
		cmocka_unit_test(test_fat32),
		cmocka_unit_test(test_fat32_4k_clusters),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_mutations_fat12),
		cmocka_unit_test(test_mutations_fat16),
		cmocka_unit_test(test_mutations_fat32),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
