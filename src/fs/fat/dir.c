/*
 * FAT directories: a directory is an array of 32-byte slots, in the fixed
 * root region (FAT12/16) or in a cluster chain. Slot walking assembles
 * long names (sequence numbers and the checksum must agree with the short
 * entry that follows, else the short name is used, as Linux does), and is
 * used by readdir, lookup (long or short name, ASCII case folded), the
 * emptiness check and the subdirectory count. New entries take a run of
 * free slots (deleted ones included), the directory growing by a zeroed
 * cluster when none is found (the fixed root cannot: ENOSPC).
 *
 * readdir cookies: 0 ".", 1 "..", then 2 + the index of an entry's short
 * slot; a resumed walk starts up to 20 slots earlier to reassemble the
 * long name. Locking: fs->lock, taken by the entry points at the bottom.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <uapi/dirent.h>
#include "fat.h"

int fat_dir_slot_pos(struct fat_inode_info *dir, uint32_t index, uint64_t *pos)
{
	struct fat_fs *fs = dir->fs;

	if (dir->is_root && fs->bits != 32) {
		if (index >= fs->root_entries)
			return -ENOENT;
		*pos = ((uint64_t)fs->root_start << fs->log_sector) + (uint64_t)index * DIR_ENTRY_SIZE;
		return 0;
	}
	uint32_t per = fs->cluster_size / DIR_ENTRY_SIZE, c;
	int err = fat_bmap(dir, index / per, &c);
	if (err)
		return err;
	*pos = (fat_cluster_sector(fs, c) << fs->log_sector) + (uint64_t)(index % per) * DIR_ENTRY_SIZE;
	return 0;
}

/* A walk keeps the sector it is in borrowed. */
struct walk {
	struct fat_fs *fs;
	struct fat_inode_info *dir;
	struct buffer *b;
};

/* Slot index: *p points at its bytes (valid until the next call). 0,
 * -ENOENT past the end, or -errno. */
static int walk_slot(struct walk *w, uint32_t index, uint8_t **p, uint64_t *pos)
{
	struct fat_fs *fs = w->fs;
	int err = fat_dir_slot_pos(w->dir, index, pos);

	if (err)
		return err;
	uint64_t sec = *pos >> fs->log_sector;
	if (!w->b || w->b->block != sec) {
		brelse(w->b);
		w->b = fat_bread(fs, sec);
		if (IS_ERR(w->b)) {
			err = (int)PTR_ERR(w->b);
			w->b = NULL;
			return err;
		}
	}
	*p = (uint8_t *)w->b->data + (*pos & (fs->sector_size - 1));
	return 0;
}

/* What a walk reports for each live entry. */
struct entry_view {
	const char *name; /* UTF-8, NUL-terminated */
	size_t len;
	const char *short_name; /* the 8.3 form shown */
	size_t short_len;
	uint32_t first, index;
	uint64_t pos;
	const uint8_t *raw;
};
/* Return 1 to stop, 0 to go on, -errno to fail. */
typedef int (*entry_fn)(void *arg, const struct entry_view *e);

static void lfn_units(const uint8_t *p, uint16_t *u)
{
	for (int i = 0; i < 5; i++)
		u[i] = get_le16(p + LFN_NAME1 + 2 * i);
	for (int i = 0; i < 6; i++)
		u[5 + i] = get_le16(p + LFN_NAME2 + 2 * i);
	for (int i = 0; i < 2; i++)
		u[11 + i] = get_le16(p + LFN_NAME3 + 2 * i);
}

/* Walk dir's slots from index from; fn sees every live entry (dot entries
 * included). Return 0 (end), 1 (stopped) or -errno. */
static int walk_dir(struct fat_inode_info *dir, uint32_t from, entry_fn fn, void *arg)
{
	struct fat_fs *fs = dir->fs;
	struct walk w = { .fs = fs, .dir = dir };
	__free(kfree) uint16_t *units = kmalloc(sizeof(uint16_t) * (LFN_MAX_SLOTS * LFN_CHARS + 1));
	__free(kfree) char *name = kmalloc(NAME_MAX * 3 + 1);
	char short_name[16];
	int expect = 0, nslots = 0, err = 0;
	uint8_t sum = 0;
	uint32_t first = 0;

	if (!units || !name)
		return -ENOMEM;
	for (uint32_t i = from;; i++) {
		uint8_t *p;
		uint64_t pos;
		err = walk_slot(&w, i, &p, &pos);
		if (err == -ENOENT) {
			err = 0;
			break;
		}
		if (err)
			break;
		if (p[0] == DE_END)
			break;
		if (p[0] == DE_FREE) {
			expect = 0;
			continue;
		}
		if ((p[DE_ATTR] & 0x3F) == ATTR_LFN) {
			int ord = p[LFN_ORD] & 0x1F;
			if (p[LFN_ORD] & LFN_LAST) {
				if (ord == 0 || ord > LFN_MAX_SLOTS) {
					expect = 0;
					continue;
				}
				nslots = ord;
				sum = p[LFN_CHKSUM];
				first = i;
				memset(units, 0, sizeof(uint16_t) * (LFN_MAX_SLOTS * LFN_CHARS + 1));
			} else if (!expect || ord != expect || p[LFN_CHKSUM] != sum) {
				expect = 0;
				continue;
			}
			lfn_units(p, units + (ord - 1) * LFN_CHARS);
			expect = ord - 1;
			if (expect == 0)
				expect = -1; /* complete: the short entry must follow */
			continue;
		}
		bool have_lfn = expect == -1 && fat_lfn_checksum(p) == sum;
		expect = 0;
		if (p[DE_ATTR] & ATTR_VOLUME)
			continue;
		struct entry_view e = { .first = have_lfn ? first : i, .index = i, .pos = pos, .raw = p };
		e.short_len = fat_short_to_utf8(p, p[DE_NTRES], short_name);
		e.short_name = short_name;
		if (have_lfn) {
			size_t n = 0;
			while (n < (size_t)nslots * LFN_CHARS && units[n] != 0)
				n++;
			e.len = fat_utf16_to_utf8(units, n, name, NAME_MAX * 3 + 1);
			e.name = name;
			if (e.len == 0 || e.len > NAME_MAX) {
				e.name = short_name;
				e.len = e.short_len;
			}
		} else {
			e.name = short_name;
			e.len = e.short_len;
		}
		if (e.len == 0)
			continue;
		err = fn(arg, &e);
		if (err)
			break;
	}
	brelse(w.b);
	return err;
}

static bool is_dot_entry(const uint8_t *raw)
{
	return raw[0] == '.' && (!memcmp(raw, ".          ", 11) || !memcmp(raw, "..         ", 11));
}

/* ---- lookup ---- */
struct find_arg {
	const char *name;
	size_t len;
	struct fat_slot *out;
};

static int find_fn(void *arg, const struct entry_view *e)
{
	struct find_arg *fa = arg;

	if (is_dot_entry(e->raw))
		return 0;
	if (!fat_name_equal(e->name, e->len, fa->name, fa->len) &&
	    !fat_name_equal(e->short_name, e->short_len, fa->name, fa->len))
		return 0;
	fa->out->first = e->first;
	fa->out->index = e->index;
	fa->out->i_pos = e->pos;
	memcpy(fa->out->raw, e->raw, DIR_ENTRY_SIZE);
	return 1;
}

int fat_find(struct inode *dir, const char *name, size_t len, struct fat_slot *out)
{
	while (len && name[len - 1] == '.')
		len--;
	if (len == 0)
		return -ENOENT;
	struct find_arg fa = { name, len, out };
	int r = walk_dir(FAT_I(dir), 0, find_fn, &fa);
	return r == 1 ? 0 : r == 0 ? -ENOENT : r;
}

/* ---- emptiness, subdirectories ---- */
static int nonempty_fn(void *arg, const struct entry_view *e)
{
	return is_dot_entry(e->raw) ? 0 : 1;
}

int fat_dir_empty(struct inode *dir)
{
	int r = walk_dir(FAT_I(dir), 0, nonempty_fn, NULL);
	return r == 1 ? -ENOTEMPTY : r;
}

static int subdir_fn(void *arg, const struct entry_view *e)
{
	if ((e->raw[DE_ATTR] & ATTR_DIR) && !is_dot_entry(e->raw))
		(*(unsigned *)arg)++;
	return 0;
}

int fat_count_subdirs(struct fat_fs *fs, struct fat_inode_info *dir, unsigned *n)
{
	*n = 0;
	return walk_dir(dir, 0, subdir_fn, n);
}

/* ---- readdir ---- */
struct iter_arg {
	struct dir_context *ctx;
	struct fat_fs *fs;
	bool full;
};

static int iter_fn(void *arg, const struct entry_view *e)
{
	struct iter_arg *ia = arg;
	off_t cookie = (off_t)e->index + 2;

	if (cookie < ia->ctx->pos || is_dot_entry(e->raw))
		return 0;
	ino_t ino = fat_icache_ino(ia->fs, e->pos);
	ia->ctx->pos = cookie;
	bool ok = ia->ctx->emit(ia->ctx, e->name, e->len, ino,
			       (e->raw[DE_ATTR] & ATTR_DIR) ? DT_DIR : DT_REG);
	if (!ok) {
		ia->full = true;
		return 1;
	}
	ia->ctx->pos = cookie + 1;
	return 0;
}

int fat_iterate(struct inode *dir, struct dir_context *ctx)
{
	struct fat_inode_info *ei = FAT_I(dir);
	struct fat_fs *fs = ei->fs;

	if (ctx->pos == 0) {
		if (!ctx->emit(ctx, ".", 1, dir->ino, DT_DIR))
			return 0;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		mutex_lock(&fs->lock);
		ino_t pino = ei->parent ? ei->parent->ino : dir->ino;
		mutex_unlock(&fs->lock);
		if (!ctx->emit(ctx, "..", 2, pino, DT_DIR))
			return 0;
		ctx->pos = 2;
	}
	if (ctx->pos < 2 || ctx->pos > (off_t)UINT32_MAX)
		return 0;
	uint32_t want = (uint32_t)(ctx->pos - 2);
	uint32_t from = want > LFN_MAX_SLOTS ? want - LFN_MAX_SLOTS : 0;
	struct iter_arg ia = { ctx, fs, false };
	guard(mutex)(&fs->lock);
	int r = walk_dir(ei, from, iter_fn, &ia);
	return r < 0 ? r : 0;
}

/* ---- raw entries ---- */
int fat_entry_read(struct fat_fs *fs, uint64_t i_pos, uint8_t *raw)
{
	__free(brelse) struct buffer *b = fat_bread(fs, i_pos >> fs->log_sector);
	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	memcpy(raw, (uint8_t *)b->data + (i_pos & (fs->sector_size - 1)), DIR_ENTRY_SIZE);
	return 0;
}

int fat_entry_write(struct fat_fs *fs, uint64_t i_pos, const uint8_t *raw)
{
	__free(brelse) struct buffer *b = fat_bread(fs, i_pos >> fs->log_sector);
	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	memcpy((uint8_t *)b->data + (i_pos & (fs->sector_size - 1)), raw, DIR_ENTRY_SIZE);
	return fat_mark_dirty(fs, b, false);
}

/* ---- adding and removing ---- */
#define NR_CANDIDATES 6
struct add_scan {
	uint8_t cand[NR_CANDIDATES][11];
	bool taken[NR_CANDIDATES];
	unsigned ncand;
	uint32_t need;       /* slots wanted */
	uint32_t run_start, run_len;
	bool found;          /* a run of need free slots */
	uint32_t end;        /* index after the last slot seen */
};

static int scan_slots(struct fat_inode_info *dir, struct add_scan *s)
{
	struct walk w = { .fs = dir->fs, .dir = dir };
	int err = 0;
	uint32_t i;

	for (i = 0;; i++) {
		uint8_t *p;
		uint64_t pos;
		err = walk_slot(&w, i, &p, &pos);
		if (err == -ENOENT) {
			err = 0;
			break;
		}
		if (err)
			break;
		if (p[0] == DE_END || p[0] == DE_FREE) {
			if (!s->found) {
				if (s->run_len == 0)
					s->run_start = i;
				if (++s->run_len == s->need)
					s->found = true;
			}
			continue;
		}
		if (!s->found)
			s->run_len = 0;
		if ((p[DE_ATTR] & 0x3F) == ATTR_LFN || (p[DE_ATTR] & ATTR_VOLUME))
			continue;
		for (unsigned k = 0; k < s->ncand; k++)
			if (!memcmp(p, s->cand[k], 11))
				s->taken[k] = true;
	}
	s->end = i;
	brelse(w.b);
	return err;
}

static uint16_t name_hash(const uint16_t *u, int n)
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < n; i++)
		h = (h ^ u[i]) * 16777619u;
	return (uint16_t)(h ^ (h >> 16));
}

static void hex_candidate(uint8_t *raw, const uint8_t *base, unsigned base_len, uint16_t h)
{
	static const char hex[] = "0123456789ABCDEF";
	memcpy(raw, base, 11);
	unsigned keep = MIN(base_len, 2u);
	for (unsigned i = keep; i < 8; i++)
		raw[i] = ' ';
	for (int i = 0; i < 4; i++)
		raw[keep + i] = (uint8_t)hex[(h >> (12 - 4 * i)) & 0xF];
	raw[keep + 4] = '~';
	raw[keep + 5] = '1';
}

/* Grow dir by one zeroed cluster. */
static int dir_extend(struct inode *dir)
{
	struct fat_inode_info *ei = FAT_I(dir);
	struct fat_fs *fs = ei->fs;
	uint32_t len, c;

	if (ei->is_root && fs->bits != 32)
		return -ENOSPC; /* the fixed root is full */
	int err = fat_chain_length(fs, ei->start, &len);
	if (err)
		return err;
	uint32_t last = 0;
	if (len) {
		err = fat_bmap(ei, len - 1, &last);
		if (err)
			return err;
	}
	if ((uint64_t)(len + 1) * fs->cluster_size > (2u << 20))
		return -ENOSPC; /* FAT directories hold at most 65536 slots */
	err = fat_alloc(fs, last, true, &c);
	if (err)
		return err;
	spin_lock(&dir->lock);
	dir->size = (off_t)(len + 1) * fs->cluster_size;
	spin_unlock(&dir->lock);
	return 0;
}

int fat_add_entry(struct inode *dir, const char *name, size_t len, const uint8_t *tmpl,
		  struct fat_slot *out)
{
	struct fat_inode_info *ei = FAT_I(dir);
	struct fat_fs *fs = ei->fs;
	uint16_t units[FAT_LFN_MAX + 1];
	uint8_t short_raw[11], ntres = 0;
	int n = fat_name_to_utf16(name, len, units);
	int err;

	if (n < 0)
		return n;
	bool only_short = fat_name_fits_short(units, n, short_raw, &ntres);
	uint32_t lfn_slots = only_short ? 0 : (uint32_t)(n + LFN_CHARS - 1) / LFN_CHARS;
	__free(kfree) struct add_scan *s = kzalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->need = lfn_slots + 1;
	if (only_short) {
		memcpy(s->cand[s->ncand++], short_raw, 11);
	} else {
		uint8_t base[11];
		unsigned base_len;
		uint16_t up[FAT_LFN_MAX];
		uint8_t dummy;
		for (int i = 0; i < n; i++)
			up[i] = (units[i] >= 'a' && units[i] <= 'z') ? (uint16_t)(units[i] - 32) : units[i];
		if (fat_name_fits_short(up, n, short_raw, &dummy))
			memcpy(s->cand[s->ncand++], short_raw, 11); /* "hello.txt" -> HELLO.TXT */
		fat_short_base(units, n, base, &base_len);
		for (unsigned t = 1; t <= 4 && s->ncand < NR_CANDIDATES - 1; t++) {
			memcpy(s->cand[s->ncand], base, 11);
			fat_short_tail(s->cand[s->ncand], base_len, t);
			s->ncand++;
		}
		hex_candidate(s->cand[s->ncand++], base, base_len, name_hash(units, n));
	}
	err = scan_slots(ei, s);
	if (err)
		return err;
	int pick = -1;
	for (unsigned k = 0; k < s->ncand; k++)
		if (!s->taken[k]) {
			pick = (int)k;
			break;
		}
	for (unsigned round = 1; pick < 0 && !only_short && round < 64; round++) {
		uint8_t base[11];
		unsigned base_len;
		fat_short_base(units, n, base, &base_len);
		s->ncand = 1;
		s->taken[0] = false;
		hex_candidate(s->cand[0], base, base_len, (uint16_t)(name_hash(units, n) + round * 7919u));
		s->found = false;
		s->run_len = 0;
		err = scan_slots(ei, s);
		if (err)
			return err;
		if (!s->taken[0])
			pick = 0;
	}
	if (pick < 0)
		return -EEXIST;
	memcpy(short_raw, s->cand[pick], 11);
	if (!s->found) {
		/* the free run at the end, continued into a new cluster */
		uint32_t start = s->run_len ? s->run_start : s->end;
		uint32_t have = s->run_len;
		while (have < s->need) {
			err = dir_extend(dir);
			if (err)
				return err;
			have += fs->cluster_size / DIR_ENTRY_SIZE;
		}
		s->run_start = start;
	}
	/* write the long-name slots, last part first, then the short entry */
	uint8_t sum = fat_lfn_checksum(short_raw);
	struct walk w = { .fs = fs, .dir = ei };
	for (uint32_t k = 0; k <= lfn_slots && !err; k++) {
		uint8_t *p;
		uint64_t pos;
		err = walk_slot(&w, s->run_start + k, &p, &pos);
		if (err)
			break;
		if (k < lfn_slots) {
			uint32_t seq = lfn_slots - k; /* 1-based part number */
			uint16_t part[LFN_CHARS];
			for (int j = 0; j < LFN_CHARS; j++) {
				int at = (int)(seq - 1) * LFN_CHARS + j;
				part[j] = at < n ? units[at] : at == n ? 0 : 0xFFFF;
			}
			memset(p, 0, DIR_ENTRY_SIZE);
			p[LFN_ORD] = (uint8_t)(seq | (k == 0 ? LFN_LAST : 0));
			p[DE_ATTR] = ATTR_LFN;
			p[LFN_CHKSUM] = sum;
			for (int j = 0; j < 5; j++)
				put_le16(p + LFN_NAME1 + 2 * j, part[j]);
			for (int j = 0; j < 6; j++)
				put_le16(p + LFN_NAME2 + 2 * j, part[5 + j]);
			for (int j = 0; j < 2; j++)
				put_le16(p + LFN_NAME3 + 2 * j, part[11 + j]);
		} else {
			memcpy(p, tmpl, DIR_ENTRY_SIZE);
			memcpy(p + DE_NAME, short_raw, 11);
			p[DE_NTRES] = ntres;
			out->first = s->run_start;
			out->index = s->run_start + k;
			out->i_pos = pos;
			memcpy(out->raw, p, DIR_ENTRY_SIZE);
		}
		err = fat_mark_dirty(fs, w.b, false);
	}
	brelse(w.b);
	return err;
}

int fat_remove_entry(struct inode *dir, const struct fat_slot *s)
{
	struct fat_inode_info *ei = FAT_I(dir);
	struct walk w = { .fs = ei->fs, .dir = ei };
	int err = 0;

	for (uint32_t i = s->first; i <= s->index && !err; i++) {
		uint8_t *p;
		uint64_t pos;
		err = walk_slot(&w, i, &p, &pos);
		if (!err) {
			p[0] = DE_FREE;
			err = fat_mark_dirty(ei->fs, w.b, false);
		}
	}
	brelse(w.b);
	return err;
}

struct inode *fat_lookup(struct inode *dir, const char *name, size_t len)
{
	struct fat_inode_info *ei = FAT_I(dir);
	struct fat_fs *fs = ei->fs;
	struct fat_slot s;

	if (len > NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	guard(mutex)(&fs->lock);
	if (len == 2 && name[0] == '.' && name[1] == '.') {
		struct inode *p = ei->parent ? ei->parent : dir;
		inode_get(p);
		return p;
	}
	int err = fat_find(dir, name, len, &s);
	if (err)
		return ERR_PTR(err);
	return fat_iget(fs, s.i_pos, s.raw, dir);
}
