/*
 * Host tests for jbd2 (src/fs/jbd2) and ext4's replay at mount
 * (src/fs/ext4/replay.c):
 *
 *  - replay: e2fsprogs' debugfs writes transactions into the journal of an
 *    mkfs.ext4 image without checkpointing them (journal_open -c,
 *    journal_write, a revoke, an escaped block, an uncommitted tail);
 *    ext4_mount replays them; every block must be what the changes made
 *    (image B made by applying the same debugfs changes directly), the
 *    revoked and uncommitted blocks untouched, and e2fsck -fn clean.
 *  - mutated logs: bad descriptor, data and commit checksums, a block
 *    number outside the file system, a truncated log, and a few hundred
 *    random byte mutations of the log: errors or an early end, never a
 *    crash, and no write to a block the log did not name.
 *  - transactions: a chain of images A0 -> A1 -> ... (each made from the
 *    previous by debugfs) is written through jbd2 transactions on a fake
 *    disk with a volatile write cache; a power cut after every device
 *    operation keeps the flushed writes and a random part of the others.
 *    Every cut image must replay (by Ferrite and by e2fsck -fy) to exactly
 *    one A_s with s at least the last committed step, be e2fsck -fn clean,
 *    and hold the ordered data of steps <= s.
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
#include <ferrite/jbd2.h>
#include <ferrite/kmalloc.h>
#include <ferrite/uaccess.h>
#include "fake/fake.h"
#include "ext4_host.h"
#include "../src/fs/ext4/ext4.h"
#include "../src/fs/jbd2/jbd2_disk.h"
void fake_task_init(void); /* test/fake/fake_task.c */

/* The user-copy calls: test/fake/fake_uaccess_plain.c. */

/* ---- a fake disk with a volatile write cache ----
 * data: what reads see (every write applied). durable: what survives a
 * power cut (writes flushed by a FLUSH). pending: writes since the last
 * FLUSH, in order. ops counts writes and flushes; when it reaches
 * cut_at, the cut image is taken (durable + a random part of pending). */
struct pending {
	uint64_t off;
	size_t len;
	unsigned char *bytes;
};

struct fake_disk {
	struct block_device bd;
	unsigned char *data, *durable, *cut;
	size_t len;
	struct pending *pend;
	size_t nr_pend, cap_pend;
	unsigned long ops, cut_at;
	unsigned block_size;
	unsigned char *written; /* per block: written at least once */
	uint32_t rng;
};

static void bd_release(struct ref *r) { (void)r; }
void blkdev_put(struct block_device *bd) { ref_put(&bd->ref, bd_release); }

static uint32_t rnd(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

int blkdev_read(struct block_device *bd, uint64_t sector, void *buf, size_t count)
{
	struct fake_disk *d = container_of(bd, struct fake_disk, bd);
	if (sector > bd->nr_sectors || count > bd->nr_sectors - sector)
		return -EINVAL;
	memcpy(buf, d->data + sector * SECTOR_SIZE, count * SECTOR_SIZE);
	return 0;
}

static void take_cut(struct fake_disk *d)
{
	if (!d->cut || d->ops != d->cut_at)
		return;
	memcpy(d->cut, d->durable, d->len);
	/* each block of each unflushed write lands or not: a write of many
	 * blocks can be torn */
	for (size_t i = 0; i < d->nr_pend; i++)
		for (size_t o = 0; o < d->pend[i].len; o += d->block_size)
			if (rnd(&d->rng) % 2)
				memcpy(d->cut + d->pend[i].off + o, d->pend[i].bytes + o,
				       MIN((size_t)d->block_size, d->pend[i].len - o));
}

int blkdev_write(struct block_device *bd, uint64_t sector, const void *buf, size_t count)
{
	struct fake_disk *d = container_of(bd, struct fake_disk, bd);
	if (bd->flags & BLKDEV_RDONLY)
		return -EROFS;
	if (sector > bd->nr_sectors || count > bd->nr_sectors - sector)
		return -EINVAL;
	uint64_t off = sector * SECTOR_SIZE;
	size_t len = count * SECTOR_SIZE;
	memcpy(d->data + off, buf, len);
	for (uint64_t b = off / d->block_size; b < (off + len + d->block_size - 1) / d->block_size; b++)
		d->written[b] = 1;
	if (d->nr_pend == d->cap_pend) {
		d->cap_pend = d->cap_pend ? d->cap_pend * 2 : 64;
		d->pend = realloc(d->pend, d->cap_pend * sizeof(*d->pend));
	}
	d->pend[d->nr_pend].off = off;
	d->pend[d->nr_pend].len = len;
	d->pend[d->nr_pend].bytes = malloc(len);
	memcpy(d->pend[d->nr_pend].bytes, buf, len);
	d->nr_pend++;
	d->ops++;
	take_cut(d);
	return 0;
}

int blkdev_flush(struct block_device *bd)
{
	struct fake_disk *d = container_of(bd, struct fake_disk, bd);
	for (size_t i = 0; i < d->nr_pend; i++) {
		memcpy(d->durable + d->pend[i].off, d->pend[i].bytes, d->pend[i].len);
		free(d->pend[i].bytes);
	}
	d->nr_pend = 0;
	d->ops++;
	take_cut(d);
	return 0;
}

/* No write-back or commit thread on the host: the tests sync by hand. */
struct task *kthread_create(const char *name, void (*fn)(void *), void *arg)
{
	return ERR_PTR(-ENOSYS);
}
int sched_sleep_ns(uint64_t ns)
{
	return 0;
}

static void disk_init(struct fake_disk *d, const unsigned char *img, size_t len, unsigned bs)
{
	memset(d, 0, sizeof(*d));
	ref_init(&d->bd.ref);
	snprintf(d->bd.name, sizeof(d->bd.name), "vdtest");
	d->bd.dev = MKDEV(254, 0);
	d->bd.nr_sectors = len / SECTOR_SIZE;
	d->bd.flags = BLKDEV_FLUSH;
	d->len = len;
	d->block_size = bs;
	d->data = malloc(len);
	d->durable = malloc(len);
	memcpy(d->data, img, len);
	memcpy(d->durable, img, len);
	d->written = calloc(len / bs + 1, 1);
	d->rng = 42;
}

static void disk_free(struct fake_disk *d)
{
	for (size_t i = 0; i < d->nr_pend; i++)
		free(d->pend[i].bytes);
	free(d->pend);
	free(d->data);
	free(d->durable);
	free(d->cut);
	free(d->written);
}

/* ---- host helpers ---- */
static const char *tree;
static char dir[64];

static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	int st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void save(const char *path, const void *img, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(img, 1, len, f), len);
	fclose(f);
}

/* e2fsck -fn exit status of an image in memory (0: clean). */
static int fsck_clean(const void *img, size_t len)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/check.img", dir);
	save(p, img, len);
	return sh("/usr/sbin/e2fsck -fn '%s' >/dev/null 2>&1", p);
}

static void fix_sb_csum(unsigned char *img)
{
	struct ext4_super_block *es = (void *)(img + 1024);
	es->s_checksum = crc32c(~0u, es, offsetof(struct ext4_super_block, s_checksum));
}

static void umount_sb(struct super_block *sb)
{
	assert_int_equal(ext4_icache_count(EXT4_FS(sb)), 1);
	inode_put(sb->root);
	sb->root = NULL;
	sb->ops->put_super(sb);
}

static struct inode *lookup(struct super_block *sb, const char *name)
{
	return sb->root->iops->lookup(sb->root, name, strlen(name));
}

/* Mount d (replaying when needed); 0 or the error. Checks lookups of the
 * names in want (NULL-terminated) when the mount works. */
static long mount_disk(struct fake_disk *d, const char *const *want)
{
	struct super_block *sb = ext4_mount(&d->bd, MS_RDONLY);
	if (IS_ERR(sb)) {
		assert_int_equal(bcache_nr_buffers(), 0);
		return PTR_ERR(sb);
	}
	for (; want && *want; want++) {
		struct inode *ino = lookup(sb, *want);
		if (IS_ERR(ino))
			fail_msg("%s: lookup error %ld after replay", *want, PTR_ERR(ino));
		inode_put(ino);
	}
	umount_sb(sb);
	assert_int_equal(bcache_nr_buffers(), 0);
	return 0;
}

static bool has_recover(const unsigned char *img)
{
	const struct ext4_super_block *es = (const void *)(img + 1024);
	return es->s_feature_incompat & EXT4_FEATURE_INCOMPAT_RECOVER;
}

/* First n free blocks at or after goal (debugfs ffb). */
static int free_blocks(const char *img, unsigned n, unsigned goal, uint64_t *out)
{
	char cmd[512], line[4096];
	snprintf(cmd, sizeof(cmd), "/usr/sbin/debugfs -R 'ffb %u %u' '%s' 2>/dev/null", n, goal, img);
	FILE *p = popen(cmd, "r");
	int k = 0;
	while (p && fgets(line, sizeof(line), p)) {
		char *s = strstr(line, "Free blocks found:");
		if (!s)
			continue;
		s += strlen("Free blocks found:");
		char *end;
		while (k < (int)n) {
			unsigned long long v = strtoull(s, &end, 10);
			if (end == s)
				break;
			out[k++] = v;
			s = end;
		}
	}
	if (p)
		pclose(p);
	return k;
}

/* Blocks that differ between two images of len bytes. */
static size_t diff_blocks(const unsigned char *a, const unsigned char *b, size_t len, unsigned bs,
			  uint64_t *out, size_t max)
{
	size_t n = 0;
	for (uint64_t blk = 0; blk < len / bs && n < max; blk++)
		if (memcmp(a + blk * bs, b + blk * bs, bs))
			out[n++] = blk;
	return n;
}

/* Write blocks list[0..n) of img into a file (for debugfs jw). */
static void blocks_file(const char *path, const unsigned char *img, unsigned bs, const uint64_t *list,
			size_t n)
{
	FILE *f = fopen(path, "wb");
	for (size_t i = 0; i < n; i++)
		fwrite(img + list[i] * bs, 1, bs, f);
	fclose(f);
}

static void list_str(char *s, size_t cap, const uint64_t *list, size_t n)
{
	size_t o = 0;
	s[0] = 0;
	for (size_t i = 0; i < n && o + 24 < cap; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s%llu", i ? "," : "", (unsigned long long)list[i]);
}

static int setup(void **state)
{
	fake_mm_init(128 << 20);
	fake_task_init();
	if (access("/usr/sbin/debugfs", X_OK) || access("/usr/sbin/e2fsck", X_OK))
		return 0;
	tree = strdup(host_tree_make(false));
	snprintf(dir, sizeof(dir), "/tmp/ferrite-jbd2-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	if (tree)
		host_tree_remove(tree);
	if (*dir)
		sh("rm -rf '%s'", dir);
	return 0;
}

/* debugfs changes that touch most kinds of metadata. */
static const char *changes[] = {
	"mkdir newdir\nwrite /etc/os-release newdir/newfile\nsif hello.txt mode 0100600\n",
	"rm empty\nmkdir newdir/sub\nsymlink newlink /some/where/far/away\n",
	"write /etc/passwd passwd\nrm link_b\nsif dir/sub/deep.txt uid 4242\n",
	"rmdir newdir/sub\nwrite /etc/group group\nmknod pipe p\n",
};
static const char *const names_after[][6] = {
	{ "newdir", "hello.txt", NULL },
	{ "newdir", "newlink", NULL },
	{ "passwd", "newlink", NULL },
	{ "group", "pipe", "passwd", NULL },
};

/* Image A (mkfs of the tree) and B = A + changes[0], both in memory. */
struct pair {
	unsigned bs;
	size_t len;
	unsigned char *a, *b;
	char a_path[128], b_path[128];
};

static bool make_pair(struct pair *p, unsigned bs, int nchanges)
{
	char opts[64], cmds[128];
	snprintf(opts, sizeof(opts), "-b %u", bs);
	snprintf(p->a_path, sizeof(p->a_path), "%s/a.img", dir);
	snprintf(p->b_path, sizeof(p->b_path), "%s/b.img", dir);
	snprintf(cmds, sizeof(cmds), "%s/cmds", dir);
	if (host_mkfs(tree, p->a_path, opts, 8192, false))
		return false;
	p->bs = bs;
	p->a = host_load(p->a_path, &p->len);
	assert_int_equal(sh("cp '%s' '%s'", p->a_path, p->b_path), 0);
	for (int i = 0; i < nchanges; i++) {
		FILE *f = fopen(cmds, "w");
		fputs(changes[i], f);
		fclose(f);
		assert_int_equal(sh("/usr/sbin/debugfs -w -f '%s' '%s' >/dev/null 2>&1", cmds, p->b_path), 0);
	}
	size_t l;
	p->b = host_load(p->b_path, &l);
	assert_int_equal(l, p->len);
	return true;
}

/* ---- replay of debugfs-written logs ---- */

struct logged {
	uint64_t diff[512];
	size_t ndiff;
	uint64_t x_revoked, x_escaped, x_uncommitted;
	unsigned char *journaled; /* image A with the log written, not replayed */
};

static void write_log(struct pair *p, struct logged *lg)
{
	char cmds[128], data[128], garbage[128], magic[128], list[8192];
	uint64_t fr[3];

	lg->ndiff = diff_blocks(p->a, p->b, p->len, p->bs, lg->diff, 512);
	assert_true(lg->ndiff > 3);
	/* free in B too: not among the changed blocks */
	assert_int_equal(free_blocks(p->b_path, 3, (unsigned)(p->len / p->bs / 2), fr), 3);
	lg->x_revoked = fr[0];
	lg->x_escaped = fr[1];
	lg->x_uncommitted = fr[2];
	snprintf(data, sizeof(data), "%s/data.bin", dir);
	snprintf(garbage, sizeof(garbage), "%s/garbage.bin", dir);
	snprintf(magic, sizeof(magic), "%s/magic.bin", dir);
	blocks_file(data, p->b, p->bs, lg->diff, lg->ndiff);
	unsigned char *blk = malloc(p->bs);
	memset(blk, 0xa5, p->bs);
	save(garbage, blk, p->bs);
	uint32_t m = be32(JBD2_MAGIC);
	memcpy(blk, &m, 4);
	save(magic, blk, p->bs);
	free(blk);
	list_str(list, sizeof(list), lg->diff, lg->ndiff);
	snprintf(cmds, sizeof(cmds), "%s/jcmds", dir);
	FILE *f = fopen(cmds, "w");
	fprintf(f, "jo -c\n");
	fprintf(f, "jw -b %llu %s\n", (unsigned long long)lg->x_revoked, garbage);
	fprintf(f, "jw -b %llu %s\n", (unsigned long long)lg->x_escaped, magic);
	fprintf(f, "jw -r %llu\n", (unsigned long long)lg->x_revoked);
	fprintf(f, "jw -b %s %s\n", list, data);
	fprintf(f, "jw -b %llu -c %s\n", (unsigned long long)lg->x_uncommitted, garbage);
	fprintf(f, "jc\n");
	fclose(f);
	char jimg[128];
	snprintf(jimg, sizeof(jimg), "%s/j.img", dir);
	assert_int_equal(sh("cp '%s' '%s'", p->a_path, jimg), 0);
	assert_int_equal(sh("/usr/sbin/debugfs -w -f '%s' '%s' >/dev/null 2>&1", cmds, jimg), 0);
	size_t l;
	lg->journaled = host_load(jimg, &l);
	assert_int_equal(l, p->len);
	assert_true(has_recover(lg->journaled));
}

/* The image after a full replay must be B on the changed blocks (the
 * superblock aside: RECOVER and debugfs' own fields), A elsewhere but
 * for the escaped block and the journal. */
static void check_replayed(struct pair *p, struct logged *lg, const unsigned char *img)
{
	unsigned bs = p->bs;
	for (size_t i = 0; i < lg->ndiff; i++) {
		uint64_t b = lg->diff[i];
		if (b * bs <= 1024 && 1024 < (b + 1) * bs)
			continue; /* the superblock's block: compared field by field below */
		if (memcmp(img + b * bs, p->b + b * bs, bs))
			fail_msg("block %llu not replayed", (unsigned long long)b);
	}
	const struct ext4_super_block *got = (const void *)(img + 1024), *want = (const void *)(p->b + 1024);
	assert_int_equal(got->s_free_inodes_count, want->s_free_inodes_count);
	assert_false(has_recover(img));
	assert_memory_equal(img + lg->x_revoked * bs, p->a + lg->x_revoked * bs, bs);
	assert_memory_equal(img + lg->x_uncommitted * bs, p->a + lg->x_uncommitted * bs, bs);
	uint32_t m;
	memcpy(&m, img + lg->x_escaped * bs, 4);
	assert_int_equal(m, be32(JBD2_MAGIC));
	assert_int_equal(img[lg->x_escaped * bs + 4], 0xa5);
}

static void replay_test(unsigned bs)
{
	struct pair p;
	struct logged lg;
	if (!tree || !make_pair(&p, bs, 1))
		skip();
	write_log(&p, &lg);

	struct fake_disk d;
	/* a read-only device: refused, nothing written */
	disk_init(&d, lg.journaled, p.len, bs);
	d.bd.flags |= BLKDEV_RDONLY;
	assert_int_equal(mount_disk(&d, NULL), -EROFS);
	assert_int_equal(d.ops, 0);
	disk_free(&d);

	disk_init(&d, lg.journaled, p.len, bs);
	assert_int_equal(mount_disk(&d, names_after[0]), 0);
	check_replayed(&p, &lg, d.data);
	assert_memory_equal(d.data, d.durable, p.len); /* flushed */
	assert_int_equal(fsck_clean(d.data, p.len), 0);
	/* a second mount has nothing to replay and changes nothing */
	unsigned long ops = d.ops;
	assert_int_equal(mount_disk(&d, names_after[0]), 0);
	assert_int_equal(d.ops, ops);
	disk_free(&d);

	/* e2fsprogs' replay of the same log agrees block for block */
	char jimg[128];
	snprintf(jimg, sizeof(jimg), "%s/j.img", dir);
	assert_true(sh("/usr/sbin/e2fsck -fy '%s' >/dev/null 2>&1", jimg) <= 1);
	size_t l;
	unsigned char *theirs = host_load(jimg, &l);
	for (size_t i = 0; i < lg.ndiff; i++) {
		uint64_t b = lg.diff[i];
		if (b * bs <= 1024 && 1024 < (b + 1) * bs)
			continue;
		assert_memory_equal(theirs + b * bs, p.b + b * bs, bs);
	}
	free(theirs);
	free(lg.journaled);
	free(p.a);
	free(p.b);
}

static void test_replay_1k(void **state) { replay_test(1024); }
static void test_replay_4k(void **state) { replay_test(4096); }

/* ---- mutated logs ---- */

/* Journal blocks of the log: offsets of blocks that start with the jbd2
 * magic and are of type t (in log order, i.e. by offset here: debugfs
 * writes the log from its start). */
static size_t find_log_blocks(const unsigned char *img, size_t len, unsigned bs, unsigned type,
			      uint64_t *out, size_t max)
{
	size_t n = 0;
	for (uint64_t b = 0; b < len / bs && n < max; b++) {
		const struct jbd2_header *h = (const void *)(img + b * bs);
		if (be32(h->h_magic) == JBD2_MAGIC && be32(h->h_blocktype) == type)
			out[n++] = b;
	}
	return n;
}

/* Mount a mutated copy; every block written must be one the log names,
 * the superblock or a journal block. Return the mount's result. */
static long mount_mutated(struct pair *p, struct logged *lg, const unsigned char *img,
			  const uint64_t *jblocks, size_t njblocks)
{
	struct fake_disk d;
	disk_init(&d, img, p->len, p->bs);
	long r = mount_disk(&d, NULL);
	for (uint64_t b = 0; b < p->len / p->bs; b++) {
		if (!d.written[b])
			continue;
		bool ok = b == lg->x_escaped || (b * p->bs <= 1024 && 1024 < (b + 1) * p->bs);
		for (size_t i = 0; i < lg->ndiff && !ok; i++)
			ok = lg->diff[i] == b;
		for (size_t i = 0; i < njblocks && !ok; i++)
			ok = jblocks[i] == b;
		if (!ok)
			fail_msg("block %llu written, but the log does not name it", (unsigned long long)b);
	}
	disk_free(&d);
	return r;
}

static void test_mutated_logs(void **state)
{
	struct pair p;
	struct logged lg;
	if (!tree || !make_pair(&p, 1024, 1))
		skip();
	write_log(&p, &lg);
	unsigned bs = p.bs;
	uint64_t descr[8], commit[8];
	size_t nd = find_log_blocks(lg.journaled, p.len, bs, JBD2_DESCRIPTOR_BLOCK, descr, 8);
	size_t nc = find_log_blocks(lg.journaled, p.len, bs, JBD2_COMMIT_BLOCK, commit, 8);
	/* descriptors: T1 (x_revoked), T2 (x_escaped), T4 (the changes), T5
	 * (uncommitted); commits: T1..T4 (T3 only revokes) */
	assert_int_equal(nd, 4);
	assert_int_equal(nc, 4);
	/* the journal's blocks: from its superblock to the last log block */
	uint64_t jsb[1];
	assert_int_equal(find_log_blocks(lg.journaled, p.len, bs, JBD2_SUPERBLOCK_V2, jsb, 1), 1);
	uint64_t jblocks[1024];
	size_t nj = 0;
	for (uint64_t b = jsb[0]; b < jsb[0] + 1024 && b < p.len / bs; b++)
		jblocks[nj++] = b;
	unsigned char *m = malloc(p.len);

	/* T4's descriptor checksum: the transaction has a valid commit, so
	 * the log is corrupt: refused before anything is replayed */
	memcpy(m, lg.journaled, p.len);
	m[descr[2] * bs + 100] ^= 1;
	assert_int_equal(mount_mutated(&p, &lg, m, jblocks, nj), -EUCLEAN);
	/* a logged block of T4 (the block after its descriptor) */
	memcpy(m, lg.journaled, p.len);
	m[(descr[2] + 1) * bs + 7] ^= 0x10;
	assert_int_equal(mount_mutated(&p, &lg, m, jblocks, nj), -EUCLEAN);
	/* T4's commit checksum: the log ends before T4 (as Linux) */
	memcpy(m, lg.journaled, p.len);
	m[commit[3] * bs + 60] ^= 1;
	{
		struct fake_disk d;
		disk_init(&d, m, p.len, bs);
		assert_int_equal(mount_disk(&d, NULL), 0);
		for (size_t i = 0; i < lg.ndiff; i++)
			if (lg.diff[i] > 1)
				assert_memory_equal(d.data + lg.diff[i] * bs, p.a + lg.diff[i] * bs, bs);
		uint32_t mg;
		memcpy(&mg, d.data + lg.x_escaped * bs, 4);
		assert_int_equal(mg, be32(JBD2_MAGIC));
		assert_int_equal(fsck_clean(d.data, p.len), 0);
		disk_free(&d);
	}
	/* a truncated log: T4's commit block gone */
	memcpy(m, lg.journaled, p.len);
	memset(m + commit[3] * bs, 0, bs);
	assert_int_equal(mount_mutated(&p, &lg, m, jblocks, nj), 0);
	/* a tag naming a block past the end (checksum fixed): refused, and
	 * nothing written anywhere but where the log says */
	memcpy(m, lg.journaled, p.len);
	{
		struct jbd2_tag3 *tag = (void *)(m + descr[2] * bs + sizeof(struct jbd2_header));
		tag->t_blocknr_high = be32(7);
		uint32_t *tail = (void *)(m + descr[2] * bs + bs - 4);
		*tail = 0;
		const struct jbd2_superblock *js = (const void *)(m + jsb[0] * bs);
		uint32_t seed = crc32c(~0u, js->s_uuid, 16);
		*tail = be32(crc32c(seed, m + descr[2] * bs, bs));
	}
	assert_int_equal(mount_mutated(&p, &lg, m, jblocks, nj), -EUCLEAN);
	/* the journal superblock's checksum */
	memcpy(m, lg.journaled, p.len);
	m[jsb[0] * bs + 0x1c] ^= 4;
	assert_int_equal(mount_mutated(&p, &lg, m, jblocks, nj), -EUCLEAN);

	/* random mutations of the log blocks and the journal superblock */
	uint32_t s = 7;
	unsigned worked = 0, failed = 0;
	uint64_t span = commit[nc - 1] + 2 - jsb[0];
	for (int i = 0; i < 300; i++) {
		memcpy(m, lg.journaled, p.len);
		int flips = 1 + (int)(rnd(&s) % 4);
		for (int k = 0; k < flips; k++) {
			uint64_t b = jsb[0] + rnd(&s) % span;
			unsigned off = rnd(&s) % 3 ? rnd(&s) % 64 : rnd(&s) % bs;
			m[b * bs + off] ^= (unsigned char)(1u << (rnd(&s) % 8));
		}
		if (mount_mutated(&p, &lg, m, jblocks, nj))
			failed++;
		else
			worked++;
	}
	assert_true(failed > 0);
	free(m);
	free(lg.journaled);
	free(p.a);
	free(p.b);
}

/* ---- transactions and power cuts ---- */

#define STEPS 4
#define CUTS 100 /* power cuts per block size */

struct chain {
	unsigned bs;
	size_t len, nblocks;
	unsigned char *a[STEPS + 1];  /* A0..A4 as debugfs made them */
	unsigned char *r[STEPS + 1];  /* the same with RECOVER set (what is logged) */
	uint64_t *diff[STEPS + 1];    /* blocks A(i-1) -> A(i) */
	size_t ndiff[STEPS + 1];
	struct jbd2_run *runs;
	unsigned nr_runs;
	unsigned char *special;       /* per block: journal, Z, W or a data block */
	uint64_t z, w, data[STEPS + 1];
	bool csum_v3;                 /* the journal as Linux sets it up with metadata_csum */
};

struct run_ctx {
	struct fake_disk *d;
	struct chain *c;
	int step;
};

/* Ordered mode: the step's file data goes to the disk before its commit. */
static int write_step_data(void *arg)
{
	struct run_ctx *x = arg;
	unsigned bs = x->c->bs;
	unsigned char *blk = malloc(bs);
	memset(blk, 0x10 + x->step, bs);
	int err = blkdev_write(&x->d->bd, x->c->data[x->step] * (bs / SECTOR_SIZE), blk, bs / SECTOR_SIZE);
	free(blk);
	return err;
}

static void set_recover(unsigned char *img)
{
	struct ext4_super_block *es = (void *)(img + 1024);
	es->s_feature_incompat |= EXT4_FEATURE_INCOMPAT_RECOVER;
	fix_sb_csum(img);
}

static bool make_chain(struct chain *c, unsigned bs)
{
	struct pair p;
	memset(c, 0, sizeof(*c));
	if (!tree || !make_pair(&p, bs, 0))
		return false;
	free(p.b);
	c->bs = bs;
	c->len = p.len;
	c->nblocks = p.len / bs;
	c->a[0] = p.a;
	char cmds[128], img[128];
	snprintf(cmds, sizeof(cmds), "%s/cmds", dir);
	snprintf(img, sizeof(img), "%s/chain.img", dir);
	save(img, p.a, p.len);
	for (int i = 1; i <= STEPS; i++) {
		FILE *f = fopen(cmds, "w");
		fputs(changes[i - 1], f);
		fclose(f);
		assert_int_equal(sh("/usr/sbin/debugfs -w -f '%s' '%s' >/dev/null 2>&1", cmds, img), 0);
		size_t l;
		c->a[i] = host_load(img, &l);
		assert_int_equal(l, c->len);
	}
	for (int i = 0; i <= STEPS; i++) {
		c->r[i] = malloc(c->len);
		memcpy(c->r[i], c->a[i], c->len);
		set_recover(c->r[i]);
		assert_int_equal(fsck_clean(c->a[i], c->len), 0);
	}
	for (int i = 1; i <= STEPS; i++) {
		c->diff[i] = malloc(sizeof(uint64_t) * c->nblocks);
		c->ndiff[i] = diff_blocks(c->r[i - 1], c->r[i], c->len, bs, c->diff[i], c->nblocks);
		assert_true(c->ndiff[i] > 0);
	}
	/* The journal's blocks, from a clean mount of A0. */
	struct fake_disk d;
	disk_init(&d, c->a[0], c->len, bs);
	struct super_block *sb = ext4_mount(&d.bd, MS_RDONLY);
	assert_false(IS_ERR(sb));
	struct ext4_fs *fs = EXT4_FS(sb);
	assert_int_equal(ext4_journal_runs(fs, fs->journal_ino, &c->runs, &c->nr_runs), 0);
	umount_sb(sb);
	disk_free(&d);
	c->special = calloc(c->nblocks, 1);
	for (unsigned i = 0; i < c->nr_runs; i++)
		for (uint32_t k = 0; k < c->runs[i].len; k++)
			c->special[c->runs[i].pblk + k] = 1;
	/* Free blocks no step touches: Z (logged, then revoked), W (starts
	 * with the jbd2 magic: escaped), one data block per step. */
	uint64_t fr[64];
	int n = free_blocks(img, 64, (unsigned)(c->nblocks / 2), fr), k = 0;
	uint64_t *want[] = { &c->z, &c->w, &c->data[1], &c->data[2], &c->data[3], &c->data[4] };
	for (int i = 0; i < n && k < 6; i++) {
		bool same = !c->special[fr[i]];
		for (int s = 1; s <= STEPS && same; s++)
			same = !memcmp(c->a[s] + fr[i] * bs, c->a[0] + fr[i] * bs, bs);
		if (same) {
			*want[k++] = fr[i];
			c->special[fr[i]] = 1;
		}
	}
	assert_int_equal(k, 6);
	return true;
}

static void chain_free(struct chain *c)
{
	for (int i = 0; i <= STEPS; i++) {
		free(c->a[i]);
		free(c->r[i]);
		free(c->diff[i]);
	}
	kfree(c->runs);
	free(c->special);
}

static void log_block(struct jbd2_handle *h, struct fake_disk *d, unsigned bs, uint64_t nr,
		      const void *bytes)
{
	struct buffer *b = bread(&d->bd, nr, bs);
	assert_false(IS_ERR(b));
	assert_int_equal(jbd2_journal_get_write_access(h, b), 0);
	memcpy(b->data, bytes, bs);
	assert_int_equal(jbd2_journal_dirty_metadata(h, b), 0);
	brelse(b);
}

/* Run the whole workload on a disk holding R0. commits[i]: device
 * operations done when step i's commit returned. */
static void run_workload(struct chain *c, struct fake_disk *d, unsigned long commits[STEPS + 1])
{
	unsigned bs = c->bs;
	struct run_ctx x = { .d = d, .c = c };
	struct journal *j = jbd2_journal_load(&d->bd, bs, c->nblocks, c->runs, c->nr_runs, "t");
	assert_false(IS_ERR(j));
	if (c->csum_v3)
		assert_int_equal(jbd2_journal_enable_csum_v3(j), 0);
	assert_int_equal(jbd2_journal_begin(j, write_step_data, &x), 0);
	unsigned char *junk = malloc(bs), *magic = malloc(bs);
	memset(junk, 0x5a, bs);
	memset(magic, 0x77, bs);
	uint32_t m = be32(JBD2_MAGIC);
	memcpy(magic, &m, 4);
	for (int i = 1; i <= STEPS; i++) {
		/* step 3 again and again (same bytes), until the log wrapped */
		int reps = i == 3 ? 1 + (int)(j->maxlen * 3 / 4 / (c->ndiff[3] + 4)) : 1;
		for (int r = 0; r < reps; r++) {
			struct jbd2_handle h;
			assert_int_equal(jbd2_journal_start(j, (unsigned)c->ndiff[i] + 2, &h), 0);
			for (size_t k = 0; k < c->ndiff[i]; k++)
				log_block(&h, d, bs, c->diff[i][k], c->r[i] + c->diff[i][k] * bs);
			if (i == 1)
				log_block(&h, d, bs, c->z, junk);
			if (i == 2)
				assert_int_equal(jbd2_journal_revoke(&h, c->z), 0);
			if (i == 3)
				log_block(&h, d, bs, c->w, magic);
			assert_int_equal(jbd2_journal_stop(&h), 0);
			x.step = i;
			assert_int_equal(jbd2_journal_commit(j), 0);
			if (d->cut && d->ops > d->cut_at)
				break; /* the power is off: the rest cannot matter */
		}
		commits[i] = d->ops;
		if (d->cut && d->ops > d->cut_at) {
			for (int k = i + 1; k <= STEPS; k++)
				commits[k] = ~0ul;
			jbd2_journal_destroy(j);
			bcache_drop_device(&d->bd);
			free(junk);
			free(magic);
			return;
		}
	}
	assert_true(j->nr_checkpoints > 0); /* the log filled up and wrapped */
	assert_int_equal(jbd2_journal_end(j), 0);
	jbd2_journal_destroy(j);
	assert_int_equal(bcache_drop_device(&d->bd), 0);
	free(junk);
	free(magic);
}

/* Which A_s does img hold (every block but the special ones)? -1: none. */
static int which_state(struct chain *c, const unsigned char *img, bool skip_super)
{
	for (int s = STEPS; s >= 0; s--) {
		bool ok = true;
		for (uint64_t b = 0; b < c->nblocks && ok; b++) {
			if (c->special[b])
				continue;
			if (skip_super && b * c->bs <= 1024 && 1024 < (b + 1) * c->bs)
				continue;
			ok = !memcmp(img + b * c->bs, c->a[s] + b * c->bs, c->bs);
		}
		if (ok)
			return s;
	}
	return -1;
}

static void check_cut(struct chain *c, const unsigned char *cut, unsigned long k,
		      const unsigned long commits[STEPS + 1], bool with_fsck)
{
	unsigned bs = c->bs;
	int done = 0;
	for (int i = 1; i <= STEPS; i++)
		if (commits[i] <= k)
			done = i;
	struct fake_disk d;
	disk_init(&d, cut, c->len, bs);
	long r = mount_disk(&d, NULL);
	if (r)
		fail_msg("cut after operation %lu: mount gives %ld", k, r);
	int s = which_state(c, d.data, false);
	if (s < done)
		fail_msg("cut after operation %lu: the image is state %d, %d steps were committed", k, s,
			 done);
	for (int i = 1; i <= s; i++)
		for (unsigned o = 0; o < bs; o++)
			if (d.data[c->data[i] * bs + o] != 0x10 + i)
				fail_msg("cut after operation %lu: state %d without the data of step %d", k, s, i);
	uint32_t m;
	memcpy(&m, d.data + c->w * bs, 4);
	assert_true(s >= 3 ? m == be32(JBD2_MAGIC) : !memcmp(d.data + c->w * bs, c->a[0] + c->w * bs, bs));
	if (s == 1)
		assert_int_equal(d.data[c->z * bs + 9], 0x5a);
	if (with_fsck) {
		assert_int_equal(fsck_clean(d.data, c->len), 0);
		/* e2fsprogs' own replay of the cut image reaches the same state */
		char p[128];
		snprintf(p, sizeof(p), "%s/cut.img", dir);
		save(p, cut, c->len);
		int st = sh("/usr/sbin/e2fsck -fy '%s' >/dev/null 2>&1", p);
		if (st > 1)
			fail_msg("cut after operation %lu: e2fsck -fy gives %d", k, st);
		size_t l;
		unsigned char *theirs = host_load(p, &l);
		int s2 = which_state(c, theirs, true);
		if (s2 != s)
			fail_msg("cut after operation %lu: Ferrite replays to state %d, e2fsck to %d", k, s, s2);
		assert_int_equal(sh("/usr/sbin/e2fsck -fn '%s' >/dev/null 2>&1", p), 0);
		free(theirs);
	}
	disk_free(&d);
}

static void power_cut_test(unsigned bs, bool csum_v3)
{
	struct chain c;
	if (!make_chain(&c, bs))
		skip();
	c.csum_v3 = csum_v3;
	unsigned long commits[STEPS + 1];
	struct fake_disk d;

	/* Without a cut: the end state is A4 once mounted. */
	disk_init(&d, c.r[0], c.len, bs);
	run_workload(&c, &d, commits);
	unsigned long total = d.ops;
	assert_int_equal(which_state(&c, d.durable, true), STEPS);
	assert_int_equal(mount_disk(&d, names_after[STEPS - 1]), 0);
	assert_int_equal(which_state(&c, d.data, false), STEPS);
	disk_free(&d);

	/* A cut after every operation up to step 3's first commits, then
	 * evenly through the wrapping log and step 4. */
	unsigned cuts = 0;
	unsigned long dense = commits[2] + 40, every = (total - dense) / (CUTS - dense) + 1;
	for (unsigned long k = 0; k <= total; k += k < dense ? 1 : every) {
		disk_init(&d, c.r[0], c.len, bs);
		d.cut_at = k;
		d.cut = malloc(c.len);
		memcpy(d.cut, c.r[0], c.len);
		d.rng = (uint32_t)k * 7919u + 1;
		run_workload(&c, &d, commits);
		check_cut(&c, d.cut, k, commits, cuts % 5 == 0 || k >= commits[STEPS] - 4);
		disk_free(&d);
		cuts++;
	}
	print_message("%u-byte blocks, %s: %lu device operations, %u power cuts replayed\n", bs,
		      csum_v3 ? "csum v3" : "no journal checksums", total, cuts);
	chain_free(&c);
}

static void test_power_cuts_1k(void **state) { power_cut_test(1024, false); }
static void test_power_cuts_4k(void **state) { power_cut_test(4096, true); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_1k),
		cmocka_unit_test(test_replay_4k),
		cmocka_unit_test(test_mutated_logs),
		cmocka_unit_test(test_power_cuts_1k),
		cmocka_unit_test(test_power_cuts_4k),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
