/*
 * Host tests for ext4 (src/fs/ext4) and the block cache (src/fs/buffer.c):
 * images made here by Debian's mkfs.ext4 -d from a known tree (1 KiB and
 * 4 KiB blocks, with and without the journal and metadata_csum, old block
 * maps, inline data, an htree directory of 2000 names, a sparse file with
 * a depth-2 extent tree, fast and slow symlinks, hard links, a fifo) are
 * mounted through a fake block device and compared, entry by entry, with
 * what the host's own stat/readlink/pread say. Then corrupted images:
 * targeted (superblock, checksums, features) and a few hundred
 * deterministic byte mutations, each of which must mount and walk to an
 * error code or success, never a crash (ASan/UBSan watch), and leave no
 * inode or buffer behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <unistd.h>
#include <sys/wait.h>

#include <ferrite/vfs.h>
#include <ferrite/block.h>
#include <ferrite/buffer.h>
#include <ferrite/crc32c.h>
#include <ferrite/kmalloc.h>
#include <ferrite/uaccess.h>
#include <uapi/dirent.h>
#include "fake/fake.h"
#include "fake/fake_disk.h"
#include "fake/walk_path.h"
#include "ext4_host.h"
#include "../src/fs/ext4/ext4.h"
void fake_task_init(void); /* test/fake/fake_task.c */

/* The user-copy calls: test/fake/fake_uaccess_plain.c. */

static void umount_sb(struct super_block *sb)
{
	/* Everything the test took is put: only the root is left. */
	assert_int_equal(ext4_icache_count(EXT4_FS(sb)), 1);
	inode_put(sb->root);
	sb->root = NULL;
	sb->ops->put_super(sb);
}

static const char *tree_small, *tree_big;
/* Per-process paths: other worktrees run this test at the same time. */
static char img_path[96], out_path[96], log_path[96];

static int setup(void **state)
{
	snprintf(img_path, sizeof(img_path), "/tmp/ferrite-ext4-test-%d.img", (int)getpid());
	snprintf(out_path, sizeof(out_path), "/tmp/ferrite-ext4-out-%d.img", (int)getpid());
	snprintf(log_path, sizeof(log_path), "/tmp/ferrite-e2fsck-%d.log", (int)getpid());
	fake_mm_init(96 << 20);
	fake_task_init();
	tree_small = strdup(host_tree_make(false));
	tree_big = strdup(host_tree_make(true));
	return 0;
}

static int teardown(void **state)
{
	host_tree_remove(tree_small);
	host_tree_remove(tree_big);
	unlink(img_path);
	unlink(out_path);
	unlink(log_path);
	return 0;
}

/* Mount an image made from tree with opts. Return NULL when mkfs is
 * unavailable (the test skips). */
static unsigned char *make_image(const char *tree, const char *opts, unsigned kib, bool index,
				 size_t *len)
{
	if (host_mkfs(tree, img_path, opts, kib, index))
		return NULL;
	return host_load(img_path, len);
}

struct collect {
	struct dir_context ctx;
	unsigned n, stop_every, emitted_since_stop;
	bool saw_dot, saw_dotdot;
	bool types_ok;
};

static bool collect_emit(struct dir_context *ctx, const char *name, size_t len, ino_t ino, unsigned dt)
{
	struct collect *c = container_of(ctx, struct collect, ctx);
	if (c->stop_every && c->emitted_since_stop == c->stop_every) {
		c->emitted_since_stop = 0;
		return false;
	}
	c->emitted_since_stop++;
	if (len == 1 && name[0] == '.')
		c->saw_dot = true;
	else if (len == 2 && name[0] == '.' && name[1] == '.')
		c->saw_dotdot = true;
	else
		c->n++;
	if (ino == 0)
		c->types_ok = false;
	return true;
}

/* Count a directory's entries, resuming from the cookie every few entries. */
static int count_entries(struct inode *dir, unsigned stop_every, struct collect *c)
{
	memset(c, 0, sizeof(*c));
	c->ctx.emit = collect_emit;
	c->stop_every = stop_every;
	c->types_ok = true;
	for (int guard_iter = 0; guard_iter < 100000; guard_iter++) {
		off_t before = c->ctx.pos;
		int err = dir->iops->iterate(dir, &c->ctx);
		if (err)
			return err;
		if (c->ctx.pos == before || (uint64_t)c->ctx.pos >= (uint64_t)dir->size)
			if (c->emitted_since_stop || c->ctx.pos == before)
				return 0;
	}
	return -ELOOP;
}

static ssize_t read_at(struct inode *ino, void *buf, size_t len, off_t off)
{
	struct file f = { .inode = ino, .ops = ino->fops, .mode = FMODE_READ };
	struct iobuf b = iobuf_kernel(buf, len);
	return ino->fops->read(&f, &b, &off);
}

/* Compare every entry of the host tree with the mounted image. */
static void compare_tree(struct super_block *sb, const char *tree)
{
	size_t n;
	struct host_entry *v = host_tree_walk(tree, &n);
	static char a[65536], b[65536];

	assert_true(n > 5);
	for (size_t i = 0; i < n; i++) {
		struct host_entry *e = &v[i];
		struct inode *ino = walk_path(sb, e->path);
		if (IS_ERR(ino))
			fail_msg("%s: lookup error %ld", e->path, PTR_ERR(ino));
		struct kstat st;
		vfs_getattr(ino, &st);
		if (*e->path) { /* the root's attributes come from mkfs */
			assert_int_equal(st.mode, e->mode);
			assert_int_equal(st.uid, e->uid);
			assert_int_equal(st.gid, e->gid);
			assert_int_equal(st.mtime.tv_sec, e->mtime);
			if (!S_ISDIR(e->mode))
				assert_int_equal(st.nlink, e->nlink);
		}
		if (S_ISREG(e->mode)) {
			assert_int_equal(st.size, e->size);
			/* whole file in 64 KiB pieces, then an unaligned read */
			for (uint64_t off = 0; off < e->size; off += sizeof(a)) {
				long h = host_pread(tree, e->path, a, sizeof(a), off);
				ssize_t g = read_at(ino, b, sizeof(b), (off_t)off);
				assert_int_equal(g, h);
				assert_memory_equal(a, b, (size_t)h);
			}
			if (e->size > 5000) {
				long h = host_pread(tree, e->path, a, 3001, 1999);
				ssize_t g = read_at(ino, b, 3001, 1999);
				assert_int_equal(g, h);
				assert_memory_equal(a, b, (size_t)h);
			}
			assert_int_equal(read_at(ino, b, 10, (off_t)e->size), 0);
		} else if (S_ISLNK(e->mode)) {
			char t[HOST_PATH_MAX];
			ssize_t k = ino->iops->readlink(ino, t, sizeof(t));
			assert_int_equal(k, strlen(e->target));
			assert_memory_equal(t, e->target, (size_t)k);
		} else if (S_ISDIR(e->mode)) {
			struct collect c;
			unsigned extra = 0;
			if (!*e->path) { /* mkfs adds lost+found to the root */
				struct inode *lf = ino->iops->lookup(ino, "lost+found", 10);
				assert_false(IS_ERR(lf));
				inode_put(lf);
				extra = 1;
			}
			assert_int_equal(count_entries(ino, 0, &c), 0);
			assert_int_equal(c.n, e->nr_children + extra);
			assert_true(c.saw_dot && c.saw_dotdot && c.types_ok);
			/* stop and resume every 7 entries: same count */
			assert_int_equal(count_entries(ino, 7, &c), 0);
			assert_int_equal(c.n, e->nr_children + extra);
			struct inode *nope = ino->iops->lookup(ino, "no-such-name", 12);
			assert_int_equal(PTR_ERR(nope), -ENOENT);
		}
		inode_put(ino);
	}
	/* the same number twice is the same inode (hard links share it) */
	struct inode *la = walk_path(sb, "link_a"), *lb = walk_path(sb, "link_b");
	assert_ptr_equal(la, lb);
	inode_put(la);
	inode_put(lb);
	/* ".." of a subdirectory is its parent */
	struct inode *sub = walk_path(sb, "dir/sub"), *up = walk_path(sb, "dir/sub/..");
	struct inode *dir = walk_path(sb, "dir");
	assert_ptr_equal(up, dir);
	inode_put(sub);
	inode_put(up);
	inode_put(dir);
	/* the shapes the images were made to have */
	struct ext4_fs *fs = EXT4_FS(sb);
	struct inode *many = walk_path(sb, "many");
	if (!IS_ERR(many)) {
		assert_true(EXT4_I(many)->flags & EXT4_INDEX_FL); /* htree */
		/* every lookup there went by hash, none fell back to a scan */
		assert_true(fs->dx_lookups >= 2000);
		assert_int_equal(fs->dx_fallbacks, 0);
		inode_put(many);
	}
	struct inode *sp = walk_path(sb, "sparse.bin");
	if (!IS_ERR(sp)) {
		const struct ext4_extent_header *eh = (const void *)EXT4_I(sp)->i_block;
		assert_true(EXT4_I(sp)->flags & EXT4_EXTENTS_FL);
		assert_true(eh->eh_depth >= (fs->block_size == 1024 ? 2 : 1));
		inode_put(sp);
	}
	if (ext4_has_incompat(fs, EXT4_FEATURE_INCOMPAT_INLINE_DATA)) {
		struct inode *h = walk_path(sb, "hello.txt");
		assert_non_null(EXT4_I(h)->inline_data);
		inode_put(h);
	}
	struct inode *fast = walk_path(sb, "sym_fast"), *slow = walk_path(sb, "sym_slow");
	assert_true(EXT4_I(fast)->fast_symlink || EXT4_I(fast)->inline_data);
	assert_false(EXT4_I(slow)->fast_symlink);
	inode_put(fast);
	inode_put(slow);
	free(v);
}

static const char *next_hash_alg; /* set by a test: re-index with this hash */

static void mount_and_compare(const char *tree, const char *opts, unsigned kib, bool index)
{
	size_t len;
	unsigned char *img = NULL;
	if (next_hash_alg) {
		const char *alg = next_hash_alg;
		next_hash_alg = NULL;
		if (host_mkfs(tree, img_path, opts, kib, false) || host_set_hash(img_path, alg))
			skip();
		img = host_load(img_path, &len);
		struct ext4_super_block *es = (void *)(img + 1024);
		assert_int_equal(es->s_def_hash_version, strcmp(alg, "tea") ? 0 : 2);
	} else {
		img = make_image(tree, opts, kib, index, &len);
	}
	if (!img)
		skip();
	struct fake_disk d;
	fake_disk_init(&d, img, len);
	struct super_block *sb = ext4_mount(&d.bd, MS_RDONLY);
	if (IS_ERR(sb))
		fail_msg("mount (%s) failed: %ld", opts, PTR_ERR(sb));
	assert_true(sb->flags & MS_RDONLY);
	compare_tree(sb, tree);
	struct kstatfs k;
	memset(&k, 0, sizeof(k));
	sb->ops->statfs(sb, &k);
	assert_int_equal(k.type, 0xEF53);
	assert_true(k.blocks > 0 && k.bfree < k.blocks && k.bavail <= k.bfree);
	assert_true(k.files > k.ffree && k.namelen == 255 && (k.flags & ST_RDONLY));
	umount_sb(sb);
	assert_int_equal(bcache_nr_buffers(), 0);
	assert_int_equal(ref_read(&d.bd.ref), 1);
	free(img);
}

static void test_crc32c(void **state)
{
	assert_int_equal(~crc32c(~0u, "123456789", 9), 0xe3069283u);
}

static void test_4k_default(void **state)
{
	mount_and_compare(tree_big, "-b 4096", 32768, true);
}

static void test_1k_nojournal(void **state)
{
	mount_and_compare(tree_big, "-b 1024 -O ^has_journal -N 4096", 32768, true);
}

static void test_htree_tea(void **state)
{
	next_hash_alg = "tea";
	mount_and_compare(tree_big, "-b 4096 -O ^has_journal", 32768, true);
}

static void test_htree_legacy(void **state)
{
	next_hash_alg = "legacy";
	mount_and_compare(tree_big, "-b 2048 -O ^has_journal", 32768, true);
}

static void test_block_maps(void **state)
{
	mount_and_compare(tree_small, "-b 1024 -O ^extent,^64bit,^metadata_csum,^flex_bg,^has_journal,^huge_file",
			  8192, false);
}

static void test_2k_32bit(void **state)
{
	mount_and_compare(tree_small, "-b 2048 -O ^64bit", 8192, false);
}

static void test_inline_data(void **state)
{
	mount_and_compare(tree_small, "-b 4096 -I 256 -O inline_data", 8192, false);
}

static void test_small_inodes(void **state)
{
	mount_and_compare(tree_small, "-b 1024 -I 128 -O ^metadata_csum", 8192, false);
}

/* ---- corrupt images ---- */

static long try_mount_flags(unsigned char *img, size_t len, unsigned dev_flags)
{
	struct fake_disk d;
	fake_disk_init(&d, img, len);
	d.bd.flags = dev_flags;
	struct super_block *sb = ext4_mount(&d.bd, MS_RDONLY);
	if (IS_ERR(sb)) {
		assert_int_equal(bcache_nr_buffers(), 0);
		return PTR_ERR(sb);
	}
	umount_sb(sb);
	return 0;
}

static long try_mount(unsigned char *img, size_t len)
{
	return try_mount_flags(img, len, 0);
}

static void fix_sb_csum(unsigned char *img)
{
	struct ext4_super_block *es = (void *)(img + 1024);
	es->s_checksum = crc32c(~0u, es, offsetof(struct ext4_super_block, s_checksum));
}

static void test_refused(void **state)
{
	size_t len;
	unsigned char *img = make_image(tree_small, "-b 1024", 8192, false, &len);
	if (!img)
		skip();
	unsigned char *copy = malloc(len);
	struct ext4_super_block *es = (void *)(copy + 1024);

	memcpy(copy, img, len);
	assert_int_equal(try_mount(copy, len), 0);
	/* a superblock byte changed: checksum */
	copy[1024 + 0x78] ^= 1;
	assert_int_equal(try_mount(copy, len), -EUCLEAN);
	/* an unknown incompatible feature */
	memcpy(copy, img, len);
	es->s_feature_incompat |= 0x80000000u;
	fix_sb_csum(copy);
	assert_int_equal(try_mount(copy, len), -EINVAL);
	/* needs_recovery with an empty log: on a read-only device the mount
	 * is refused (replaying writes); otherwise recovery finds nothing,
	 * clears the flag and mounts (test_jbd2 replays real logs) */
	memcpy(copy, img, len);
	es->s_feature_incompat |= EXT4_FEATURE_INCOMPAT_RECOVER;
	fix_sb_csum(copy);
	assert_int_equal(try_mount_flags(copy, len, BLKDEV_RDONLY), -EROFS);
	assert_int_equal(try_mount(copy, len), 0);
	assert_int_equal(es->s_feature_incompat & EXT4_FEATURE_INCOMPAT_RECOVER, 0);
	assert_int_equal(try_mount(copy, len), 0);
	/* 64 KiB blocks, bad magic, a file system larger than the disk */
	memcpy(copy, img, len);
	es->s_log_block_size = 6;
	fix_sb_csum(copy);
	assert_int_equal(try_mount(copy, len), -EINVAL);
	memcpy(copy, img, len);
	es->s_magic = 0x1234;
	assert_int_equal(try_mount(copy, len), -EINVAL);
	memcpy(copy, img, len);
	assert_int_equal(try_mount(copy, len / 2), -EINVAL);
	/* a group descriptor byte: its checksum */
	memcpy(copy, img, len);
	copy[2048 + 4] ^= 0x40;
	assert_int_equal(try_mount(copy, len), -EUCLEAN);
	/* an image too small for a superblock */
	assert_true(try_mount(copy, 1024) < 0);
	free(copy);
	free(img);
}

/* A byte of hello.txt's inode changed: mount works, that inode gives
 * -EUCLEAN, others still read. */
static void test_bad_inode_csum(void **state)
{
	size_t len;
	unsigned char *img = make_image(tree_small, "-b 4096", 8192, false, &len);
	if (!img)
		skip();
	long long off = host_inode_offset(img_path, "/hello.txt");
	if (off < 0)
		skip();
	img[off + 0x10] ^= 0x01; /* mtime */
	struct fake_disk d;
	fake_disk_init(&d, img, len);
	struct super_block *sb = ext4_mount(&d.bd, MS_RDONLY);
	assert_false(IS_ERR(sb));
	struct inode *ino = walk_path(sb, "hello.txt");
	assert_int_equal(PTR_ERR(ino), -EUCLEAN);
	ino = walk_path(sb, "dir/sub/deep.txt");
	assert_false(IS_ERR(ino));
	inode_put(ino);
	assert_true(EXT4_FS(sb)->errors >= 1);
	umount_sb(sb);
	free(img);
}

struct names {
	struct dir_context ctx;
	char name[64][256];
	unsigned n;
};

static bool emit_name(struct dir_context *ctx, const char *name, size_t len, ino_t ino, unsigned dt)
{
	struct names *s = container_of(ctx, struct names, ctx);
	if (s->n == 64)
		return false;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return true;
	memcpy(s->name[s->n], name, len);
	s->name[s->n][len] = 0;
	s->n++;
	return true;
}

/* Walk everything reachable: read the start of files, readlink. */
static void fuzz_walk(struct inode *dir, int depth, unsigned *budget)
{
	struct collect c;
	static char buf[8192];

	if (depth > 6 || !*budget)
		return;
	(void)count_entries(dir, 0, &c);
	struct names *nm = calloc(1, sizeof(*nm));
	nm->ctx.emit = emit_name;
	(void)dir->iops->iterate(dir, &nm->ctx);
	for (unsigned i = 0; i < nm->n && *budget; i++) {
		(*budget)--;
		struct inode *ino = dir->iops->lookup(dir, nm->name[i], strlen(nm->name[i]));
		if (IS_ERR(ino))
			continue;
		if (S_ISDIR(ino->mode))
			fuzz_walk(ino, depth + 1, budget);
		else if (S_ISREG(ino->mode)) {
			(void)read_at(ino, buf, sizeof(buf), 0);
			(void)read_at(ino, buf, 100, 100000);
		} else if (S_ISLNK(ino->mode))
			(void)ino->iops->readlink(ino, buf, sizeof(buf));
		inode_put(ino);
	}
	free(nm);
}

static void mutate_tree(const char *tree, bool index, const char *opts, unsigned kib, unsigned runs,
			uint32_t seed)
{
	size_t len;
	unsigned char *img = make_image(tree, opts, kib, index, &len);
	/* most edits land in the metadata: the first 512 KiB of a small image
	 * (superblock, descriptors, inode tables, directories), more of a big one */
	size_t window = index ? (size_t)4 << 20 : (size_t)512 << 10;
	if (!img)
		skip();
	unsigned char *copy = malloc(len);
	unsigned mounted = 0, refused = 0;
	uint32_t x = seed;
#define RND() (x = x * 1664525u + 1013904223u, x >> 8)
	for (unsigned r = 0; r < runs; r++) {
		memcpy(copy, img, len);
		unsigned edits = 1 + RND() % 8;
		for (unsigned k = 0; k < edits; k++) {
			/* mostly metadata: the first 512 KiB hold the superblock,
			 * descriptors, inode tables and most directory blocks */
			size_t at = (RND() % 4) ? RND() % MIN(len, window) : RND() % len;
			if (RND() % 3 == 0)
				at = 1024 + RND() % 1024; /* the superblock itself */
			copy[at] = (RND() % 2) ? (unsigned char)RND() : copy[at] ^ (1u << (RND() % 8));
		}
		if (RND() % 2) /* let half of them past the superblock checksum */
			fix_sb_csum(copy);
		struct fake_disk d;
		fake_disk_init(&d, copy, len);
		struct super_block *sb = ext4_mount(&d.bd, MS_RDONLY);
		if (IS_ERR(sb)) {
			long e = PTR_ERR(sb);
			assert_true(e == -EINVAL || e == -EUCLEAN || e == -EIO);
			refused++;
		} else {
			unsigned budget = 400;
			mounted++;
			fuzz_walk(sb->root, 0, &budget);
			umount_sb(sb);
		}
		assert_int_equal(bcache_nr_buffers(), 0);
		assert_int_equal(ref_read(&d.bd.ref), 1);
	}
	print_message("%s: %u mutated images, %u mounted and walked, %u refused\n", opts, runs,
		      mounted, refused);
	free(copy);
	free(img);
}

static void mutate_run(const char *opts, unsigned kib, unsigned runs, uint32_t seed)
{
	mutate_tree(tree_small, false, opts, kib, runs, seed);
}

/* htree index blocks and hash lookups under mutation */
static void test_mutations_htree(void **state)
{
	mutate_tree(tree_big, true, "-b 1024 -O ^metadata_csum,^has_journal -N 4096", 32768, 60, 5);
}

static void test_mutations_csum(void **state)
{
	mutate_run("-b 1024", 4096, 150, 1);
}

static void test_mutations_nocsum(void **state)
{
	mutate_run("-b 1024 -O ^metadata_csum,^has_journal", 4096, 150, 2);
}

static void test_mutations_blockmap(void **state)
{
	mutate_run("-b 1024 -O ^extent,^64bit,^metadata_csum,^flex_bg,^has_journal", 4096, 100, 3);
}

static void test_mutations_inline(void **state)
{
	mutate_run("-b 4096 -O inline_data,^metadata_csum,^has_journal", 4096, 100, 4);
}

/* The block cache keeps no more unused buffers than its budget. */
static void test_bcache_budget(void **state)
{
	size_t len;
	unsigned char *img = make_image(tree_small, "-b 1024", 8192, false, &len);
	if (!img)
		skip();
	struct fake_disk d;
	fake_disk_init(&d, img, len);
	bcache_set_budget(16 * 1024);
	for (uint64_t blk = 0; blk < 200; blk++) {
		struct buffer *b = bread(&d.bd, blk, 1024);
		assert_false(IS_ERR(b));
		assert_memory_equal(b->data, img + blk * 1024, 1024);
		brelse(b);
	}
	assert_true(bcache_bytes() <= 16 * 1024);
	unsigned reads = d.reads;
	struct buffer *b = bread(&d.bd, 199, 1024); /* recent: still cached */
	brelse(b);
	assert_int_equal(d.reads, reads);
	b = bread(&d.bd, 0, 1024); /* evicted long ago: read again */
	brelse(b);
	assert_int_equal(d.reads, reads + 1);
	/* past the end of the device, bad sizes */
	assert_int_equal(PTR_ERR(bread(&d.bd, len / 1024, 1024)), -EIO);
	assert_int_equal(PTR_ERR(bread(&d.bd, 0, 3000)), -EINVAL);
	/* a buffer in use is not dropped */
	b = bread(&d.bd, 5, 1024);
	assert_int_equal(bcache_drop_device(&d.bd), 1);
	brelse(b);
	assert_int_equal(bcache_drop_device(&d.bd), 0);
	assert_int_equal(bcache_nr_buffers(), 0);
	bcache_set_budget(4u << 20);
	free(img);
}


/* ---- writing ---- */

static int run_cmd(const char *fmt, ...)
{
	char cmd[1024], full[1100];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "PATH=$PATH:/usr/sbin:/sbin; %s", cmd); /* e2fsck, debugfs */
	int r = system(full);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static void save_image(const unsigned char *img, size_t len, const char *path)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(img, 1, len, f), len);
	fclose(f);
}

/* Save img to out_path and check it with e2fsck -fn (its report on failure). */
static void assert_fsck_clean(const unsigned char *img, size_t len)
{
	save_image(img, len, out_path);
	int r = run_cmd("e2fsck -fn %s > %s 2>&1", out_path, log_path);
	if (r)
		run_cmd("cat %s", log_path);
	assert_int_equal(r, 0);
}

/* A read-write mount of a fresh mkfs image: the setup of a write test. */
struct rw_mount {
	unsigned char *img;
	size_t len;
	struct fake_disk d;
	struct super_block *sb;
};

/* Make an image from tree with opts and mount it read-write; the test
 * skips when mkfs is unavailable. */
static struct super_block *rw_mount_make(struct rw_mount *m, const char *tree, const char *opts,
					 unsigned kib, bool index)
{
	m->img = make_image(tree, opts, kib, index, &m->len);
	if (!m->img)
		skip();
	fake_disk_init(&m->d, m->img, m->len);
	m->sb = ext4_mount(&m->d.bd, 0);
	if (IS_ERR(m->sb))
		fail_msg("rw mount (%s) failed: %ld", opts, PTR_ERR(m->sb));
	assert_false(m->sb->flags & MS_RDONLY);
	return m->sb;
}

/* Unmount, check the image with e2fsck -fn and free it: the end of a
 * write test. */
static void rw_mount_finish(struct rw_mount *m)
{
	umount_sb(m->sb);
	assert_fsck_clean(m->img, m->len);
	unlink(out_path);
	free(m->img);
}

/* A copy of the disk as it is now: what a power cut would leave. */
static unsigned char *image_copy(const struct rw_mount *m)
{
	unsigned char *cut = malloc(m->len);

	assert_non_null(cut);
	memcpy(cut, m->img, m->len);
	return cut;
}

static ssize_t write_at(struct inode *ino, const void *buf, size_t len, off_t off)
{
	struct file f = { .inode = ino, .ops = ino->fops, .mode = FMODE_WRITE };
	struct iobuf b = iobuf_kernel((void *)buf, len);
	return ino->fops->write(&f, &b, &off);
}

static void pattern(unsigned char *buf, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (unsigned char)(x >> 16);
	}
}

static struct inode *mk(struct inode *dir, const char *name, mode_t mode)
{
	struct inode *ino = dir->iops->create(dir, name, strlen(name), mode, 0);
	if (IS_ERR(ino))
		fail_msg("create %s: %ld", name, PTR_ERR(ino));
	return ino;
}

static void check_content(struct inode *ino, unsigned seed, size_t len)
{
	unsigned char *want = malloc(len + 1), *got = malloc(len + 16);
	pattern(want, len, seed);
	assert_int_equal(read_at(ino, got, len + 16, 0), len);
	assert_memory_equal(want, got, len);
	free(want);
	free(got);
}

/* The changes every write test makes, then checks after a remount. */
static void write_workload(struct super_block *sb, unsigned bs)
{
	struct inode *root = sb->root;
	unsigned char *buf = malloc(1 << 20);

	/* a file written in pieces, unaligned */
	struct inode *f = mk(root, "new.txt", S_IFREG | 0644);
	pattern(buf, 300000, 1);
	for (size_t off = 0; off < 300000; off += 70001) {
		size_t n = MIN((size_t)70001, 300000 - off);
		assert_int_equal(write_at(f, buf + off, n, (off_t)off), n);
	}
	assert_int_equal(f->size, 300000);
	check_content(f, 1, 300000);
	inode_put(f);
	assert_int_equal(PTR_ERR(root->iops->create(root, "new.txt", 7, S_IFREG | 0644, 0)), -EEXIST);

	/* a sparse file of many extents: the tree grows and leaves split */
	f = mk(root, "holes.bin", S_IFREG | 0600);
	for (unsigned i = 0; i < 600; i++) {
		memset(buf, (int)(i & 0xff) | 1, bs);
		assert_int_equal(write_at(f, buf, bs, (off_t)i * 2 * bs), bs);
	}
	assert_true(((struct ext4_extent_header *)EXT4_I(f)->i_block)->eh_depth >= 1);
	assert_int_equal(read_at(f, buf, bs, (off_t)(2 * 300 + 1) * bs), bs);
	for (unsigned k = 0; k < bs; k++)
		assert_int_equal(buf[k], 0);
	/* truncate to the middle of a block, then grow again: zeros */
	assert_int_equal(f->iops->truncate(f, (off_t)300 * 2 * bs + 10), 0);
	assert_int_equal(read_at(f, buf, bs, (off_t)600 * bs), 10);
	assert_int_equal(buf[0], (300 & 0xff) | 1);
	assert_int_equal(f->iops->truncate(f, (off_t)700 * 2 * bs), 0);
	assert_int_equal(read_at(f, buf, 20, (off_t)600 * bs), 20);
	assert_int_equal(buf[9], (300 & 0xff) | 1);
	assert_int_equal(buf[10], 0);
	inode_put(f);

	/* fallocate: unwritten extents, then writes into them */
	f = mk(root, "falloc", S_IFREG | 0644);
	{
		struct file ff = { .inode = f, .ops = f->fops, .mode = FMODE_WRITE };
		assert_int_equal(f->fops->fallocate(&ff, 0, 0, 50 * bs), 0);
		assert_int_equal(f->size, 50 * bs);
		assert_int_equal(f->fops->fallocate(&ff, 1 /* KEEP_SIZE */, 50 * bs, 50 * bs), 0);
		assert_int_equal(f->size, 50 * bs);
		assert_int_equal(EXT4_I(f)->blocks, 100 * bs / 512);
		pattern(buf, 3 * bs, 7);
		assert_int_equal(write_at(f, buf, 3 * bs, 10 * bs + 5), 3 * bs);
		assert_int_equal(write_at(f, buf, 10, 70 * bs), 10);
		unsigned char *rb = malloc(80 * bs);
		assert_int_equal(read_at(f, rb, 80 * bs, 0), 70 * bs + 10);
		for (unsigned k = 0; k < 70 * bs + 10; k++) {
			unsigned char want = 0;
			if (k >= 10 * bs + 5 && k < 13 * bs + 5)
				want = buf[k - (10 * bs + 5)];
			else if (k >= 70 * bs)
				want = buf[k - 70 * bs];
			if (rb[k] != want)
				fail_msg("falloc byte %u: %u, want %u", k, rb[k], want);
		}
		free(rb);
	}
	inode_put(f);

	/* a file emptied */
	f = mk(root, "emptied", S_IFREG | 0644);
	pattern(buf, 10000, 2);
	assert_int_equal(write_at(f, buf, 10000, 0), 10000);
	assert_int_equal(f->iops->truncate(f, 0), 0);
	assert_int_equal(EXT4_I(f)->blocks, 0);
	inode_put(f);

	/* a directory of many names: it grows past one block */
	struct inode *d = mk(root, "d1", S_IFDIR | 0755);
	assert_int_equal(d->nlink, 2);
	char name[64];
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "file-with-a-longish-name-%04d", i);
		struct inode *c = mk(d, name, S_IFREG | 0644);
		if (i % 10 == 0) {
			pattern(buf, 100 + i, 100 + i);
			assert_int_equal(write_at(c, buf, 100 + i, 0), 100 + i);
		}
		inode_put(c);
	}
	assert_true(d->size > bs);
	for (int i = 0; i < 300; i += 2) {
		snprintf(name, sizeof(name), "file-with-a-longish-name-%04d", i);
		assert_int_equal(d->iops->unlink(d, name, strlen(name)), 0);
	}
	assert_int_equal(d->iops->unlink(d, "nope", 4), -ENOENT);
	struct inode *sub = mk(d, "sub", S_IFDIR | 0700);
	assert_int_equal(d->nlink, 3);
	struct inode *subsub = mk(sub, "deeper", S_IFDIR | 0700);
	inode_put(subsub);
	assert_int_equal(d->iops->rmdir(d, "sub", 3), -ENOTEMPTY);
	assert_int_equal(sub->iops->rmdir(sub, "deeper", 6), 0);
	assert_int_equal(d->iops->unlink(d, "sub", 3), -EISDIR);
	assert_int_equal(root->iops->rmdir(root, "new.txt", 7), -ENOTDIR);
	inode_put(sub);

	/* links and symlinks */
	f = walk_path(sb, "hello.txt");
	assert_int_equal(d->iops->link(d, "hello-link", 10, f), 0);
	assert_int_equal(f->nlink, 2);
	inode_put(f);
	struct inode *s1 = root->iops->symlink(root, "s_fast", 6, "d1/hello-link");
	assert_false(IS_ERR(s1));
	inode_put(s1);
	char longt[300];
	memset(longt, 'y', sizeof(longt) - 1);
	longt[sizeof(longt) - 1] = 0;
	s1 = root->iops->symlink(root, "s_slow", 6, longt);
	assert_false(IS_ERR(s1));
	inode_put(s1);
	struct inode *fifo = root->iops->create(root, "fifo2", 5, S_IFIFO | 0600, 0);
	inode_put(fifo);
	struct inode *cdev = root->iops->create(root, "null2", 5, S_IFCHR | 0666, MKDEV(1, 3));
	inode_put(cdev);

	/* renames: a file across directories, over an existing file, a
	 * directory across directories (".." and links), exchange, noreplace */
	assert_int_equal(root->iops->rename(root, "emptied", 7, d, "moved", 5, 0), 0);
	assert_int_equal(root->iops->rename(d, "moved", 5, root, "new.txt", 7, RENAME_NOREPLACE), -EEXIST);
	struct inode *dd = mk(root, "d2", S_IFDIR | 0755);
	struct inode *e = mk(dd, "inner", S_IFDIR | 0755);
	inode_put(e);
	assert_int_equal(root->iops->rename(dd, "inner", 5, d, "inner2", 6, 0), 0);
	assert_int_equal(dd->nlink, 2);
	e = walk_path(sb, "d1/inner2/..");
	assert_ptr_equal(e, d);
	inode_put(e);
	assert_int_equal(root->iops->rename(root, "d1", 2, d, "x", 1, 0), -EINVAL); /* into itself */
	assert_int_equal(root->iops->rename(root, "d2", 2, root, "d1", 2, RENAME_EXCHANGE), 0);
	assert_int_equal(root->iops->rename(root, "d1", 2, root, "d2", 2, RENAME_EXCHANGE), 0);
	f = mk(root, "victim", S_IFREG | 0644);
	inode_put(f);
	assert_int_equal(root->iops->rename(root, "victim", 6, d, "moved", 5, 0), 0);
	inode_put(dd);
	inode_put(d);

	/* attributes through the VFS hook */
	f = walk_path(sb, "new.txt");
	f->mode = S_IFREG | 0600;
	f->uid = 1234;
	f->mtime = (struct timespec64){ .tv_sec = 1234567890, .tv_nsec = 123456789 };
	inode_mark_dirty(f);
	inode_put(f);

	/* unlinked while open: freed at the last put */
	f = mk(root, "open-unlinked", S_IFREG | 0644);
	pattern(buf, 5000, 3);
	assert_int_equal(write_at(f, buf, 5000, 0), 5000);
	uint64_t free_before = EXT4_FS(sb)->free_blocks;
	assert_int_equal(root->iops->unlink(root, "open-unlinked", 13), 0);
	assert_int_equal(EXT4_FS(sb)->free_blocks, free_before);
	check_content(f, 3, 5000);
	inode_put(f);
	assert_true(EXT4_FS(sb)->free_blocks > free_before);

	/* the htree directory (when the image has one): names go into the
	 * leaf their hash picks, so lookups by hash still find them all */
	struct inode *many = walk_path(sb, "many");
	if (!IS_ERR(many)) {
		for (int i = 0; i < 100; i++) {
			snprintf(name, sizeof(name), "added-%d", i);
			struct inode *c = mk(many, name, S_IFREG | 0644);
			inode_put(c);
		}
		for (int i = 0; i < 100; i += 3) {
			snprintf(name, sizeof(name), "added-%d", i);
			assert_int_equal(many->iops->unlink(many, name, strlen(name)), 0);
		}
		inode_put(many);
	}
	free(buf);
}

/* After a remount: what write_workload left. */
static void check_workload(struct super_block *sb, unsigned bs)
{
	unsigned char *buf = malloc(1 << 16);
	struct inode *f = walk_path(sb, "new.txt");
	assert_false(IS_ERR(f));
	check_content(f, 1, 300000);
	assert_int_equal(f->mode, S_IFREG | 0600);
	assert_int_equal(f->uid, 1234);
	assert_int_equal(f->mtime.tv_sec, 1234567890);
	assert_int_equal(f->mtime.tv_nsec, 123456789);
	inode_put(f);
	f = walk_path(sb, "holes.bin");
	assert_int_equal(f->size, 1400 * bs);
	assert_int_equal(read_at(f, buf, bs, (off_t)598 * bs), bs);
	assert_int_equal(buf[0], (299 & 0xff) | 1);
	inode_put(f);
	f = walk_path(sb, "d1/moved");
	assert_int_equal(f->size, 0);
	inode_put(f);
	assert_true(IS_ERR(walk_path(sb, "emptied")));
	assert_true(IS_ERR(walk_path(sb, "victim")));
	assert_true(IS_ERR(walk_path(sb, "open-unlinked")));
	char name[64];
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "d1/file-with-a-longish-name-%04d", i);
		f = walk_path(sb, name);
		assert_int_equal(IS_ERR(f), i % 2 == 0);
		if (!IS_ERR(f) && i % 10 == 5)
			assert_int_equal(f->size, 0);
		if (!IS_ERR(f))
			inode_put(f);
	}
	f = walk_path(sb, "d1/inner2/..");
	struct inode *d = walk_path(sb, "d1");
	assert_ptr_equal(f, d);
	assert_int_equal(d->nlink, 4); /* ., .., sub, inner2 */
	inode_put(f);
	inode_put(d);
	f = walk_path(sb, "s_slow");
	char t[400];
	assert_int_equal(f->iops->readlink(f, t, sizeof(t)), 299);
	inode_put(f);
	f = walk_path(sb, "s_fast");
	assert_int_equal(f->iops->readlink(f, t, sizeof(t)), 13);
	assert_memory_equal(t, "d1/hello-link", 13);
	inode_put(f);
	f = walk_path(sb, "null2");
	assert_int_equal(f->rdev, MKDEV(1, 3));
	inode_put(f);
	struct inode *many = walk_path(sb, "many");
	if (!IS_ERR(many)) {
		unsigned long before = EXT4_FS(sb)->dx_fallbacks;
		for (int i = 0; i < 100; i++) {
			snprintf(name, sizeof(name), "added-%d", i);
			struct inode *c = many->iops->lookup(many, name, strlen(name));
			assert_int_equal(IS_ERR(c), i % 3 == 0);
			if (!IS_ERR(c))
				inode_put(c);
		}
		assert_int_equal(EXT4_FS(sb)->dx_fallbacks, before);
		inode_put(many);
	}
	free(buf);
}

/* Mount an mkfs image read-write, make the changes, unmount, check the
 * image with e2fsck -fn, mount it again and check the changes. */
static void write_roundtrip(const char *tree, const char *opts, unsigned kib, bool index, unsigned bs)
{
	struct rw_mount m;
	struct super_block *sb = rw_mount_make(&m, tree, opts, kib, index);
	unsigned char *img = m.img;
	size_t len = m.len;
	write_workload(sb, bs);
	/* without a journal the changes wait in dirty buffers; with one, in
	 * the journal's transactions (it writes them itself) */
	assert_true(EXT4_FS(sb)->journal ? EXT4_FS(sb)->journal->running != NULL ||
						   EXT4_FS(sb)->journal->nr_commits > 0
					 : bcache_nr_dirty() > 0);
	assert_int_equal(sb->ops->sync_fs(sb), 0);
	assert_int_equal(bcache_nr_dirty(), 0);
	assert_true(m.d.flushes > 0);
	struct kstatfs k;
	sb->ops->statfs(sb, &k);
	umount_sb(sb);
	assert_int_equal(bcache_nr_buffers(), 0);

	const char *out = out_path;
	save_image(img, len, out);
	int r = run_cmd("e2fsck -fn %s > %s 2>&1", out, log_path);
	if (r != 0) {
		run_cmd("cat %s", log_path);
		fail_msg("e2fsck -fn (%s) exit %d", opts, r);
	}
	/* debugfs reads what Ferrite wrote */
	assert_int_equal(run_cmd("debugfs -R 'cat /d1/hello-link' %s 2>/dev/null | grep -q 'hello, ext4'", out), 0);

	fake_disk_init(&m.d, img, len);
	sb = ext4_mount(&m.d.bd, MS_RDONLY);
	assert_false(IS_ERR(sb));
	struct kstatfs k2;
	sb->ops->statfs(sb, &k2);
	assert_int_equal(k.bfree, k2.bfree);
	assert_int_equal(k.ffree, k2.ffree);
	check_workload(sb, bs);
	umount_sb(sb);
	unlink(out);
	free(img);
}

static void test_write_4k_default(void **state)
{
	write_roundtrip(tree_big, "-b 4096", 65536 * 2, true, 4096);
}

static void test_write_1k_nojournal(void **state)
{
	write_roundtrip(tree_big, "-b 1024 -O ^has_journal", 65536 * 2, true, 1024);
}

static void test_write_1k_small_groups(void **state)
{
	/* many groups (BLOCK_UNINIT / INODE_UNINIT ones get used) */
	write_roundtrip(tree_small, "-b 1024 -g 1024 -N 2048", 16384, false, 1024);
}

/* A directory of 8000 names that grows from one block to an htree of two levels
 * (root, index nodes split, leaves split), e2fsck -fn clean. */
static void test_write_big_htree(void **state)
{
	struct rw_mount m;
	struct super_block *sb = rw_mount_make(&m, tree_small, "-b 1024 -O ^has_journal -N 16384", 65536, false);
	struct inode *dir = mk(sb->root, "big", S_IFDIR | 0755);
	char name[80];
	const int n = 8000;
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "a-rather-long-file-name-number-%06d", i);
		struct inode *c = dir->iops->create(dir, name, strlen(name), S_IFREG | 0644, 0);
		if (IS_ERR(c))
			fail_msg("create %d: %ld", i, PTR_ERR(c));
		inode_put(c);
	}
	assert_true(EXT4_I(dir)->flags & EXT4_INDEX_FL);
	for (int i = 0; i < n; i += 3) {
		snprintf(name, sizeof(name), "a-rather-long-file-name-number-%06d", i);
		assert_int_equal(dir->iops->unlink(dir, name, strlen(name)), 0);
	}
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "a-rather-long-file-name-number-%06d", i);
		struct inode *c = dir->iops->lookup(dir, name, strlen(name));
		assert_int_equal(IS_ERR(c), i % 3 == 0);
		if (!IS_ERR(c))
			inode_put(c);
	}
	struct collect c;
	assert_int_equal(count_entries(dir, 0, &c), 0);
	assert_int_equal(c.n, n - (n + 2) / 3);
	inode_put(dir);
	rw_mount_finish(&m);
}

/* A full disk: ENOSPC, and the file system stays consistent. */
static void test_write_enospc(void **state)
{
	struct rw_mount m;
	struct super_block *sb = rw_mount_make(&m, tree_small, "-b 1024 -O ^has_journal -m 0", 2048, false);
	struct inode *f = mk(sb->root, "fill", S_IFREG | 0644);
	static unsigned char buf[65536];
	ssize_t w;
	off_t off = 0;
	while ((w = write_at(f, buf, sizeof(buf), off)) > 0)
		off += w;
	assert_int_equal(w, -ENOSPC);
	assert_int_equal(f->size, off);
	inode_put(f);
	/* names still fit in existing blocks; a directory needs a block */
	struct inode *dd = sb->root->iops->create(sb->root, "newdir", 6, S_IFDIR | 0755, 0);
	assert_int_equal(PTR_ERR(dd), -ENOSPC);
	assert_int_equal(sb->root->iops->unlink(sb->root, "fill", 4), 0);
	dd = mk(sb->root, "newdir", S_IFDIR | 0755);
	inode_put(dd);
	rw_mount_finish(&m);
}

/*
 * The jbd2 window: a block freed by a transaction is not reused before
 * that transaction commits. "old" is written and committed, unlinked (its
 * blocks freed in the running transaction), and "new" written at once.
 * A power cut then (the fake disk keeps every write it got) must replay
 * to "old" whole: had new's data gone to old's blocks, old would hold it.
 * After a commit the blocks are free for use again.
 */
static void test_write_freed_not_reused(void **state)
{
	struct rw_mount m;
	struct super_block *sb = rw_mount_make(&m, tree_small, "-b 4096", 16384, false);
	struct ext4_fs *fs = EXT4_FS(sb);
	assert_non_null(fs->journal);
	enum { SIZE = 256 * 1024 };
	static unsigned char buf[SIZE];
	struct inode *f = mk(sb->root, "old", S_IFREG | 0644);
	pattern(buf, SIZE, 1);
	assert_int_equal(write_at(f, buf, SIZE, 0), SIZE);
	inode_put(f);
	assert_int_equal(sb->ops->sync_fs(sb), 0);

	assert_int_equal(sb->root->iops->unlink(sb->root, "old", 3), 0);
	assert_int_equal(fs->freed_blocks, SIZE / 4096);
	f = mk(sb->root, "new", S_IFREG | 0644);
	pattern(buf, SIZE, 2);
	assert_int_equal(write_at(f, buf, SIZE, 0), SIZE);
	inode_put(f);

	/* the cut: replay what the disk holds now */
	unsigned char *cut = image_copy(&m);
	struct fake_disk d2;
	fake_disk_init(&d2, cut, m.len);
	struct super_block *sb2 = ext4_mount(&d2.bd, MS_RDONLY);
	assert_false(IS_ERR(sb2));
	struct inode *old = walk_path(sb2, "old");
	assert_false(IS_ERR(old));
	check_content(old, 1, SIZE);
	inode_put(old);
	umount_sb(sb2);
	assert_fsck_clean(cut, m.len);
	free(cut);

	/* committed: the freed blocks may be used again */
	assert_int_equal(sb->ops->sync_fs(sb), 0);
	f = mk(sb->root, "third", S_IFREG | 0644);
	assert_int_equal(write_at(f, buf, 4096, 0), 4096);
	inode_put(f);
	assert_int_equal(fs->freed_blocks, 0);
	rw_mount_finish(&m);
}

/*
 * The orphan list: three files unlinked while open join it (the newest
 * first), the middle one closed leaves it. A cut then: Ferrite's mount
 * (replay, then the orphans freed) and e2fsck -fy agree on the free
 * counts, and the result is e2fsck -fn clean; without the list the two
 * inodes would stay allocated with no name. The disk itself, after the
 * last close and umount, is clean with an empty list.
 */
static void test_write_orphans(void **state)
{
	struct rw_mount m;
	struct super_block *sb = rw_mount_make(&m, tree_small, "-b 4096", 16384, false);
	struct ext4_fs *fs = EXT4_FS(sb);
	struct kstatfs k0, k;
	sb->ops->statfs(sb, &k0);
	static unsigned char buf[65536];
	const char *names[3] = { "a", "b", "c" };
	struct inode *f[3];
	for (int i = 0; i < 3; i++) {
		f[i] = mk(sb->root, names[i], S_IFREG | 0644);
		pattern(buf, sizeof(buf), (unsigned)i);
		assert_int_equal(write_at(f[i], buf, sizeof(buf), 0), sizeof(buf));
	}
	for (int i = 0; i < 3; i++)
		assert_int_equal(sb->root->iops->unlink(sb->root, names[i], 1), 0);
	assert_int_equal(fs->last_orphan, EXT4_I(f[2])->ino);
	inode_put(f[1]); /* the middle one: c's link now names a */
	assert_int_equal(EXT4_I(f[2])->orphan_next, EXT4_I(f[0])->ino);
	check_content(f[0], 0, sizeof(buf));
	assert_int_equal(sb->ops->sync_fs(sb), 0);

	unsigned char *cut = image_copy(&m);

	inode_put(f[2]);
	inode_put(f[0]);
	assert_int_equal(fs->last_orphan, 0);
	sb->ops->statfs(sb, &k);
	assert_int_equal(k.bfree, k0.bfree);
	assert_int_equal(k.ffree, k0.ffree);
	umount_sb(sb);
	assert_fsck_clean(m.img, m.len);

	/* e2fsck's view of the cut */
	char fsck_path[128];
	snprintf(fsck_path, sizeof(fsck_path), "%s.fsck", out_path);
	save_image(cut, m.len, fsck_path);
	int r = run_cmd("e2fsck -fy %s > %s 2>&1", fsck_path, log_path);
	if (r > 1)
		run_cmd("cat %s", log_path);
	assert_true(r == 0 || r == 1);
	assert_int_equal(run_cmd("e2fsck -fn %s > %s 2>&1", fsck_path, log_path), 0);

	/* Ferrite's: replay, then the orphan list */
	fake_disk_init(&m.d, cut, m.len);
	sb = ext4_mount(&m.d.bd, 0);
	assert_false(IS_ERR(sb));
	assert_int_equal(EXT4_FS(sb)->last_orphan, 0);
	sb->ops->statfs(sb, &k);
	assert_int_equal(k.bfree, k0.bfree);
	assert_int_equal(k.ffree, k0.ffree);
	umount_sb(sb);
	assert_fsck_clean(cut, m.len);
	r = run_cmd("dumpe2fs -h %s 2>/dev/null | grep -E '^Free (blocks|inodes):' > %s.a && "
		    "dumpe2fs -h %s 2>/dev/null | grep -E '^Free (blocks|inodes):' > %s.b && "
		    "cmp %s.a %s.b && rm -f %s.a %s.b",
		    out_path, log_path, fsck_path, log_path, log_path, log_path, log_path, log_path);
	assert_int_equal(r, 0);
	unlink(fsck_path);
	unlink(out_path);
	free(cut);
	free(m.img);
}

/* A full journalled disk: blocks freed by an unlink serve the next write
 * before any sync (ext4_journal_start commits first when they are needed). */
static void test_write_enospc_journal(void **state)
{
	struct rw_mount m;
	struct super_block *sb = rw_mount_make(&m, tree_small, "-b 1024 -m 0", 8192, false);
	assert_non_null(EXT4_FS(sb)->journal);
	struct inode *f = mk(sb->root, "fill", S_IFREG | 0644);
	static unsigned char buf[65536];
	ssize_t w;
	off_t off = 0;
	while ((w = write_at(f, buf, sizeof(buf), off)) > 0)
		off += w;
	assert_int_equal(w, -ENOSPC);
	inode_put(f);
	assert_int_equal(sb->root->iops->unlink(sb->root, "fill", 4), 0);
	f = mk(sb->root, "again", S_IFREG | 0644);
	off_t half = off / 2 / 4096 * 4096;
	for (off_t o = 0; o < half; o += 4096)
		assert_int_equal(write_at(f, buf, 4096, o), 4096);
	inode_put(f);
	rw_mount_finish(&m);
}

/* A write error reaches the syncer as EIO; the buffer stays dirty. */
static void test_write_eio(void **state)
{
	struct rw_mount m;
	struct super_block *sb = rw_mount_make(&m, tree_small, "-b 1024 -O ^has_journal", 8192, false);
	struct inode *dd = mk(sb->root, "x", S_IFDIR | 0755);
	inode_put(dd);
	m.d.fail_writes = true;
	assert_int_equal(sb->ops->sync_fs(sb), -EIO);
	assert_true(bcache_nr_dirty() > 0);
	m.d.fail_writes = false;
	assert_int_equal(sb->ops->sync_fs(sb), 0);
	assert_int_equal(bcache_nr_dirty(), 0);
	/* read-only now: nothing more is written */
	assert_int_equal(sb->ops->remount(sb, MS_RDONLY), 0);
	unsigned writes = m.d.writes;
	assert_int_equal(PTR_ERR(sb->root->iops->create(sb->root, "y", 1, S_IFREG | 0644, 0)), -EROFS);
	umount_sb(sb);
	assert_int_equal(m.d.writes, writes);
	free(m.img);
}

/* An unknown RO_COMPAT feature: read-write is refused (EROFS), read-only works. */
static void test_write_unknown_rocompat(void **state)
{
	size_t len;
	unsigned char *img = make_image(tree_small, "-b 1024 -O ^metadata_csum", 8192, false, &len);
	if (!img)
		skip();
	struct ext4_super_block *es = (void *)(img + 1024);
	es->s_feature_ro_compat |= 0x8000000;
	struct fake_disk d;
	fake_disk_init(&d, img, len);
	assert_int_equal(PTR_ERR(ext4_mount(&d.bd, 0)), -EROFS);
	struct super_block *sb = ext4_mount(&d.bd, MS_RDONLY);
	assert_false(IS_ERR(sb));
	assert_int_equal(sb->ops->remount(sb, 0), -EROFS);
	umount_sb(sb);
	free(img);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_bcache_budget),
		cmocka_unit_test(test_4k_default),
		cmocka_unit_test(test_1k_nojournal),
		cmocka_unit_test(test_htree_tea),
		cmocka_unit_test(test_htree_legacy),
		cmocka_unit_test(test_block_maps),
		cmocka_unit_test(test_2k_32bit),
		cmocka_unit_test(test_inline_data),
		cmocka_unit_test(test_small_inodes),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_bad_inode_csum),
		cmocka_unit_test(test_mutations_csum),
		cmocka_unit_test(test_mutations_nocsum),
		cmocka_unit_test(test_mutations_blockmap),
		cmocka_unit_test(test_mutations_inline),
		cmocka_unit_test(test_mutations_htree),
		cmocka_unit_test(test_write_4k_default),
		cmocka_unit_test(test_write_1k_nojournal),
		cmocka_unit_test(test_write_1k_small_groups),
		cmocka_unit_test(test_write_big_htree),
		cmocka_unit_test(test_write_enospc),
		cmocka_unit_test(test_write_freed_not_reused),
		cmocka_unit_test(test_write_enospc_journal),
		cmocka_unit_test(test_write_orphans),
		cmocka_unit_test(test_write_eio),
		cmocka_unit_test(test_write_unknown_rocompat),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
