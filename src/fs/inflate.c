/*
 * DEFLATE (RFC 1951) and gzip (RFC 1952) decoding for the initramfs,
 * streaming: the input is one buffer in memory (the archive the kernel or
 * the boot loader placed there), the output goes through a 32 KiB sliding
 * window to a sink callback in runs of at most 32 KiB, so an archive of any
 * size unpacks without a buffer for the whole of it.
 * Stored, fixed-Huffman and dynamic-Huffman blocks. Canonical Huffman codes
 * are decoded through a 9-bit lookup table, longer codes bit by bit from
 * per-length counts; every input read is bounds-checked and every back
 * reference is checked against the output so far, so corrupt or truncated
 * data gives -EINVAL after the sink has seen what decoded before it.
 * No shared state except the fixed tables and the CRC table, built once at
 * first use (boot is single-threaded here).
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>

#define MAXBITS 15
#define NLITLEN 288
#define NDIST 30
#define FAST_BITS 9
#define WSIZE 32768u /* the largest DEFLATE distance */

struct huffman {
	uint16_t count[MAXBITS + 1]; /* codes of each length */
	uint16_t symbol[NLITLEN];    /* symbols ordered by code */
	/* Indexed by the next FAST_BITS input bits: length << 9 | symbol,
	 * 0 when the code is longer than FAST_BITS (decode bit by bit). */
	uint16_t fast[1u << FAST_BITS];
};

struct inflater {
	const uint8_t *in;
	size_t inlen, inpos;
	uint64_t bitbuf;
	unsigned bitcnt;
	/* Invariant: window[0, wpos) is output not yet given to the sink;
	 * window[wpos, WSIZE) is the end of the previous 32 KiB when
	 * total > wpos (what back references reach). */
	uint8_t window[WSIZE];
	size_t wpos;
	uint64_t total; /* bytes decoded */
	uint32_t crc;   /* of the bytes given to the sink (pre-inverted) */
	inflate_sink_fn sink;
	void *ctx;
	int sink_err;
	struct huffman lit, dist; /* of the current dynamic block */
};

static void refill(struct inflater *s)
{
	while (s->bitcnt <= 56 && s->inpos < s->inlen) {
		s->bitbuf |= (uint64_t)s->in[s->inpos++] << s->bitcnt;
		s->bitcnt += 8;
	}
}

static int getbits(struct inflater *s, unsigned need, unsigned *val)
{
	if (s->bitcnt < need) {
		refill(s);
		if (s->bitcnt < need)
			return -EINVAL;
	}
	*val = (unsigned)(s->bitbuf & ((1u << need) - 1));
	s->bitbuf >>= need;
	s->bitcnt -= need;
	return 0;
}

/* Build a decoding table from code lengths. -EINVAL when over-subscribed. */
static int huffman_build(struct huffman *h, const uint8_t *lengths, unsigned n)
{
	uint16_t offs[MAXBITS + 1], next[MAXBITS + 1];
	int left = 1;
	unsigned code = 0;

	memset(h->count, 0, sizeof(h->count));
	memset(h->fast, 0, sizeof(h->fast));
	for (unsigned i = 0; i < n; i++)
		h->count[lengths[i]]++;
	h->count[0] = 0;
	for (unsigned len = 1; len <= MAXBITS; len++) {
		left <<= 1;
		left -= h->count[len];
		if (left < 0)
			return -EINVAL;
	}
	offs[1] = 0;
	for (unsigned len = 1; len < MAXBITS; len++)
		offs[len + 1] = offs[len] + h->count[len];
	for (unsigned len = 1; len <= MAXBITS; len++) {
		code = (code + h->count[len - 1]) << 1;
		next[len] = (uint16_t)code;
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned len = lengths[i], c, rev = 0;

		if (!len)
			continue;
		h->symbol[offs[len]++] = (uint16_t)i;
		c = next[len]++;
		if (len > FAST_BITS)
			continue;
		for (unsigned b = 0; b < len; b++) /* input bits come LSB first */
			rev |= ((c >> b) & 1) << (len - 1 - b);
		for (unsigned k = rev; k < (1u << FAST_BITS); k += 1u << len)
			h->fast[k] = (uint16_t)(len << 9 | i);
	}
	return 0;
}

/* Decode one symbol: through the table when the code is short and enough
 * bits are buffered, else MSB-first one bit at a time. */
static int huffman_decode(struct inflater *s, const struct huffman *h)
{
	int code = 0, first = 0, index = 0;

	if (s->bitcnt < FAST_BITS)
		refill(s);
	if (s->bitcnt >= FAST_BITS) {
		unsigned e = h->fast[s->bitbuf & ((1u << FAST_BITS) - 1)];
		if (e) {
			s->bitbuf >>= e >> 9;
			s->bitcnt -= e >> 9;
			return (int)(e & 511);
		}
	}
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

static uint32_t crc_table[256];
static bool crc_ready;

static uint32_t crc32_update(uint32_t c, const uint8_t *p, size_t n)
{
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
	return c;
}

/* Hand window[0, wpos) to the sink; the window's contents stay for back
 * references. */
static int flush(struct inflater *s)
{
	int err;

	if (!s->wpos)
		return 0;
	s->crc = crc32_update(s->crc, s->window, s->wpos);
	err = s->sink(s->ctx, s->window, s->wpos);
	if (err) {
		s->sink_err = err;
		return err;
	}
	if (s->wpos == WSIZE)
		s->wpos = 0;
	return 0;
}

static inline int put_byte(struct inflater *s, uint8_t c)
{
	s->window[s->wpos++] = c;
	s->total++;
	return s->wpos == WSIZE ? flush(s) : 0;
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
				return s->sink_err;
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
		if (d > s->total)
			return -EINVAL;
		while (len--)
			if (put_byte(s, s->window[(s->wpos - d) & (WSIZE - 1)]))
				return s->sink_err;
	}
}

static int inflate_stored(struct inflater *s)
{
	unsigned len, nlen;

	/* Skip to a byte boundary, then give back the whole bytes buffered. */
	s->bitbuf >>= s->bitcnt & 7;
	s->bitcnt &= ~7u;
	s->inpos -= s->bitcnt / 8;
	s->bitbuf = 0;
	s->bitcnt = 0;
	if (s->inlen - s->inpos < 4)
		return -EINVAL;
	len = s->in[s->inpos] | (unsigned)s->in[s->inpos + 1] << 8;
	nlen = s->in[s->inpos + 2] | (unsigned)s->in[s->inpos + 3] << 8;
	s->inpos += 4;
	if (len != (~nlen & 0xffff))
		return -EINVAL;
	while (len) {
		size_t n = MIN((size_t)len, WSIZE - s->wpos);

		if (s->inpos >= s->inlen)
			return -EINVAL;
		n = MIN(n, s->inlen - s->inpos);
		memcpy(s->window + s->wpos, s->in + s->inpos, n);
		s->inpos += n;
		s->wpos += n;
		s->total += n;
		len -= (unsigned)n;
		if (s->wpos == WSIZE && flush(s))
			return s->sink_err;
	}
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
	if (huffman_build(&s->lit, lengths, 19)) /* the code-length code */
		return -EINVAL;
	for (i = 0; i < nlen + ndist;) {
		int sym = huffman_decode(s, &s->lit);
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
	if (huffman_build(&s->lit, lengths, nlen) ||
	    huffman_build(&s->dist, lengths + nlen, ndist))
		return -EINVAL;
	return inflate_codes(s, &s->lit, &s->dist);
}

/* Decode the blocks from s->in, flushing the rest of the window at the end.
 * On return s->inpos is the first byte after the stream (the unused bits
 * of the last byte are padding). */
static int inflate_blocks(struct inflater *s)
{
	unsigned last, type;
	int err;

	do {
		if (getbits(s, 1, &last) || getbits(s, 2, &type))
			return -EINVAL;
		if (type == 0)
			err = inflate_stored(s);
		else if (type == 1)
			err = inflate_fixed(s);
		else if (type == 2)
			err = inflate_dynamic(s);
		else
			err = -EINVAL;
		if (err)
			return err;
	} while (!last);
	s->inpos -= s->bitcnt / 8; /* whole bytes read ahead */
	s->bitcnt = 0;
	return flush(s);
}

static struct inflater *inflater_new(const void *src, size_t len, inflate_sink_fn sink, void *ctx)
{
	struct inflater *s = kmalloc(sizeof(*s));

	if (!s)
		return NULL;
	s->in = src;
	s->inlen = len;
	s->inpos = 0;
	s->bitbuf = 0;
	s->bitcnt = 0;
	s->wpos = 0;
	s->total = 0;
	s->crc = 0xffffffffu;
	s->sink = sink;
	s->ctx = ctx;
	s->sink_err = 0;
	return s;
}

/* A failed stream still hands the sink what decoded before the error. */
static int inflate_run(struct inflater *s)
{
	int err = inflate_blocks(s);

	if (err && !s->sink_err)
		flush(s);
	return err;
}

int inflate_stream(const void *src, size_t len, inflate_sink_fn sink, void *ctx, size_t *in_used)
{
	__free(kfree) struct inflater *s = inflater_new(src, len, sink, ctx);
	int err;

	if (!s)
		return -ENOMEM;
	err = inflate_run(s);
	if (err)
		return err;
	if (in_used)
		*in_used = s->inpos;
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Length of the gzip member header at b, or -EINVAL. */
static long gzip_header(const uint8_t *b, size_t len)
{
	size_t pos = 10;
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
	return (long)pos;
}

int gunzip_stream(const void *src, size_t len, inflate_sink_fn sink, void *ctx, size_t *consumed)
{
	const uint8_t *b = src;
	long hdr = gzip_header(b, len);
	size_t pos;
	int err;

	if (hdr < 0)
		return (int)hdr;
	__free(kfree) struct inflater *s = inflater_new(b + hdr, len - (size_t)hdr, sink, ctx);
	if (!s)
		return -ENOMEM;
	err = inflate_run(s);
	if (err)
		return err;
	pos = (size_t)hdr + s->inpos;
	if (len - pos < 8 || le32(b + pos) != (s->crc ^ 0xffffffffu) ||
	    le32(b + pos + 4) != (uint32_t)s->total)
		return -EINVAL;
	*consumed = pos + 8;
	return 0;
}
