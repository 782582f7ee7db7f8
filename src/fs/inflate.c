/*
 * DEFLATE (RFC 1951) and gzip (RFC 1952) decoding for the initramfs.
 * Stored, fixed-Huffman and dynamic-Huffman blocks. Canonical Huffman codes
 * are decoded bit by bit from per-length counts; every input read and
 * output write is bounds-checked, so corrupt data gives -EINVAL.
 * No shared state except the CRC table, built once at first use.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>

#define MAXBITS 15
#define NLITLEN 288
#define NDIST 30

struct inflater {
	const uint8_t *in;
	size_t inlen, inpos;
	uint32_t bitbuf;
	unsigned bitcnt;
	uint8_t *out;
	size_t cap, outpos;
};

struct huffman {
	uint16_t count[MAXBITS + 1]; /* codes of each length */
	uint16_t symbol[NLITLEN];    /* symbols ordered by code */
};

static int getbits(struct inflater *s, unsigned need, unsigned *val)
{
	uint32_t v = s->bitbuf;

	while (s->bitcnt < need) {
		if (s->inpos >= s->inlen)
			return -EINVAL;
		v |= (uint32_t)s->in[s->inpos++] << s->bitcnt;
		s->bitcnt += 8;
	}
	s->bitbuf = v >> need;
	s->bitcnt -= need;
	*val = v & ((1u << need) - 1);
	return 0;
}

/* Build a decoding table from code lengths. -EINVAL when over-subscribed. */
static int huffman_build(struct huffman *h, const uint8_t *lengths, unsigned n)
{
	uint16_t offs[MAXBITS + 1];
	int left = 1;

	memset(h->count, 0, sizeof(h->count));
	for (unsigned i = 0; i < n; i++)
		h->count[lengths[i]]++;
	for (unsigned len = 1; len <= MAXBITS; len++) {
		left <<= 1;
		left -= h->count[len];
		if (left < 0)
			return -EINVAL;
	}
	offs[1] = 0;
	for (unsigned len = 1; len < MAXBITS; len++)
		offs[len + 1] = offs[len] + h->count[len];
	for (unsigned i = 0; i < n; i++)
		if (lengths[i])
			h->symbol[offs[lengths[i]]++] = (uint16_t)i;
	return 0;
}

/* Decode one symbol: codes are read MSB-first, one bit at a time. */
static int huffman_decode(struct inflater *s, const struct huffman *h)
{
	int code = 0, first = 0, index = 0;

	for (unsigned len = 1; len <= MAXBITS; len++) {
		unsigned bit;
		int count;
		if (getbits(s, 1, &bit))
			return -EINVAL;
		code |= (int)bit;
		count = h->count[len];
		if (code - count < first)
			return h->symbol[index + (code - first)];
		index += count;
		first += count;
		first <<= 1;
		code <<= 1;
	}
	return -EINVAL; /* no such code */
}

static const uint16_t len_base[29] = {
	3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
	35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const uint8_t len_extra[29] = {
	0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
	3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const uint16_t dist_base[30] = {
	1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
	257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577 };
static const uint8_t dist_extra[30] = {
	0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
	7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };

static int put_byte(struct inflater *s, uint8_t c)
{
	if (s->outpos >= s->cap)
		return -ENOSPC;
	s->out[s->outpos++] = c;
	return 0;
}

static int inflate_codes(struct inflater *s, const struct huffman *lit, const struct huffman *dist)
{
	for (;;) {
		int sym = huffman_decode(s, lit);
		unsigned extra, len, d;

		if (sym < 0)
			return sym;
		if (sym < 256) {
			if (put_byte(s, (uint8_t)sym))
				return -ENOSPC;
			continue;
		}
		if (sym == 256)
			return 0;
		sym -= 257;
		if (sym >= 29)
			return -EINVAL;
		if (getbits(s, len_extra[sym], &extra))
			return -EINVAL;
		len = len_base[sym] + extra;
		sym = huffman_decode(s, dist);
		if (sym < 0 || sym >= NDIST)
			return -EINVAL;
		if (getbits(s, dist_extra[sym], &extra))
			return -EINVAL;
		d = dist_base[sym] + extra;
		if (d > s->outpos)
			return -EINVAL;
		if (len > s->cap - s->outpos)
			return -ENOSPC;
		for (unsigned i = 0; i < len; i++, s->outpos++)
			s->out[s->outpos] = s->out[s->outpos - d];
	}
}

static int inflate_stored(struct inflater *s)
{
	unsigned len, nlen;

	s->bitbuf = 0; /* skip to a byte boundary */
	s->bitcnt = 0;
	if (s->inlen - s->inpos < 4)
		return -EINVAL;
	len = s->in[s->inpos] | (unsigned)s->in[s->inpos + 1] << 8;
	nlen = s->in[s->inpos + 2] | (unsigned)s->in[s->inpos + 3] << 8;
	s->inpos += 4;
	if (len != (~nlen & 0xffff))
		return -EINVAL;
	if (s->inlen - s->inpos < len)
		return -EINVAL;
	if (s->cap - s->outpos < len)
		return -ENOSPC;
	memcpy(s->out + s->outpos, s->in + s->inpos, len);
	s->inpos += len;
	s->outpos += len;
	return 0;
}

static int inflate_fixed(struct inflater *s)
{
	static struct huffman lit, dist; /* built once; read-only afterwards */
	static bool built;               /* boot is single-threaded here */
	uint8_t lengths[NLITLEN];

	if (!built) {
		unsigned i = 0;
		for (; i < 144; i++)
			lengths[i] = 8;
		for (; i < 256; i++)
			lengths[i] = 9;
		for (; i < 280; i++)
			lengths[i] = 7;
		for (; i < NLITLEN; i++)
			lengths[i] = 8;
		huffman_build(&lit, lengths, NLITLEN);
		for (i = 0; i < NDIST; i++)
			lengths[i] = 5;
		huffman_build(&dist, lengths, NDIST);
		built = true;
	}
	return inflate_codes(s, &lit, &dist);
}

static int inflate_dynamic(struct inflater *s)
{
	static const uint8_t order[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 };
	uint8_t lengths[NLITLEN + NDIST];
	struct huffman lit, dist;
	unsigned nlen, ndist, ncode, v;
	unsigned i;

	if (getbits(s, 5, &nlen) || getbits(s, 5, &ndist) || getbits(s, 4, &ncode))
		return -EINVAL;
	nlen += 257;
	ndist += 1;
	ncode += 4;
	if (nlen > 286 || ndist > NDIST)
		return -EINVAL;
	memset(lengths, 0, sizeof(lengths));
	for (i = 0; i < ncode; i++) {
		if (getbits(s, 3, &v))
			return -EINVAL;
		lengths[order[i]] = (uint8_t)v;
	}
	if (huffman_build(&lit, lengths, 19))
		return -EINVAL;
	for (i = 0; i < nlen + ndist;) {
		int sym = huffman_decode(s, &lit);
		unsigned rep;
		uint8_t val = 0;

		if (sym < 0)
			return -EINVAL;
		if (sym < 16) {
			lengths[i++] = (uint8_t)sym;
			continue;
		}
		if (sym == 16) {
			if (i == 0)
				return -EINVAL;
			val = lengths[i - 1];
			if (getbits(s, 2, &rep))
				return -EINVAL;
			rep += 3;
		} else if (sym == 17) {
			if (getbits(s, 3, &rep))
				return -EINVAL;
			rep += 3;
		} else {
			if (getbits(s, 7, &rep))
				return -EINVAL;
			rep += 11;
		}
		if (i + rep > nlen + ndist)
			return -EINVAL;
		while (rep--)
			lengths[i++] = val;
	}
	if (lengths[256] == 0)
		return -EINVAL; /* no end-of-block code */
	if (huffman_build(&lit, lengths, nlen) || huffman_build(&dist, lengths + nlen, ndist))
		return -EINVAL;
	return inflate_codes(s, &lit, &dist);
}

long inflate_raw(const void *src, size_t len, void *dst, size_t cap, size_t *in_used)
{
	struct inflater s = { .in = src, .inlen = len, .out = dst, .cap = cap };
	unsigned last, type;
	int err;

	do {
		if (getbits(&s, 1, &last) || getbits(&s, 2, &type))
			return -EINVAL;
		if (type == 0)
			err = inflate_stored(&s);
		else if (type == 1)
			err = inflate_fixed(&s);
		else if (type == 2)
			err = inflate_dynamic(&s);
		else
			err = -EINVAL;
		if (err)
			return err;
	} while (!last);
	if (in_used)
		*in_used = s.inpos; /* unused bits of the last byte are padding */
	return (long)s.outpos;
}

static uint32_t crc_table[256];
static bool crc_ready;

static uint32_t crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	if (!crc_ready) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;
			for (int k = 0; k < 8; k++)
				v = (v & 1) ? 0xedb88320u ^ (v >> 1) : v >> 1;
			crc_table[i] = v;
		}
		crc_ready = true;
	}
	while (n--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int gunzip(const void *src, size_t len, void **out, size_t *out_len, size_t *consumed)
{
	const uint8_t *b = src;
	size_t pos = 10, used = 0, cap;
	uint8_t flags;

	if (len < 18 || b[0] != 0x1f || b[1] != 0x8b || b[2] != 8)
		return -EINVAL;
	flags = b[3];
	if (flags & 0xe0)
		return -EINVAL;
	if (flags & 4) { /* FEXTRA */
		size_t xlen;
		if (len - pos < 2)
			return -EINVAL;
		xlen = b[pos] | (size_t)b[pos + 1] << 8;
		pos += 2;
		if (len - pos < xlen)
			return -EINVAL;
		pos += xlen;
	}
	for (int f = 8; f <= 16; f <<= 1) { /* FNAME, FCOMMENT */
		if (!(flags & f))
			continue;
		while (pos < len && b[pos])
			pos++;
		if (pos++ >= len)
			return -EINVAL;
	}
	if (flags & 2) /* FHCRC */
		pos += 2;
	if (pos >= len)
		return -EINVAL;

	cap = MAX(len * 4, (size_t)65536);
	for (;;) {
		void *buf = kmalloc(cap);
		long n;

		if (!buf)
			return -ENOMEM;
		n = inflate_raw(b + pos, len - pos, buf, cap, &used);
		if (n == -ENOSPC && cap < ((size_t)1 << 31)) {
			kfree(buf);
			cap *= 2;
			continue;
		}
		if (n < 0) {
			kfree(buf);
			return (int)n;
		}
		pos += used;
		if (len - pos < 8 || le32(b + pos) != crc32(buf, (size_t)n) ||
		    le32(b + pos + 4) != (uint32_t)n) {
			kfree(buf);
			return -EINVAL;
		}
		*out = buf;
		*out_len = (size_t)n;
		*consumed = pos + 8;
		return 0;
	}
}
