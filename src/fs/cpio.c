/*
 * cpio "newc" (070701) and "crc" (070702) archive parsing, streaming: the
 * archive arrives in runs of any size (straight from memory or from the
 * inflater's window) and each entry's data is handed on as it comes, so no
 * buffer ever holds a whole file or archive. Pure: no allocation, no
 * globals; the caller owns the struct cpio_stream. Corrupt headers give
 * -EINVAL; a truncated archive is found by cpio_stream_finish().
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/string.h>

#define CPIO_HDR 110

static int hex8(const char *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		char c = p[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

void cpio_stream_init(struct cpio_stream *s, const struct cpio_ops *ops, void *ctx,
		      uint64_t pos, bool stop_at_trailer)
{
	s->ops = ops;
	s->ctx = ctx;
	s->state = CPIO_HEADER;
	s->stop_at_trailer = stop_at_trailer;
	s->in_entry = false;
	s->trailer = false;
	s->pos = pos;
	s->need = CPIO_HDR;
	s->got = 0;
}

static size_t pad_to4(uint64_t pos)
{
	return (size_t)((4 - (pos & 3)) & 3);
}

/* The header is complete: check it and start collecting the name. */
static int parse_header(struct cpio_stream *s)
{
	uint32_t f[13];

	if (memcmp(s->hdr, "07070", 5) || (s->hdr[5] != '1' && s->hdr[5] != '2'))
		return -EINVAL;
	for (int i = 0; i < 13; i++)
		if (hex8(s->hdr + 6 + 8 * i, &f[i]))
			return -EINVAL;
	if (f[11] == 0 || f[11] > PATH_MAX)
		return -EINVAL;
	s->e.ino = f[0];
	s->e.mode = f[1];
	s->e.uid = f[2];
	s->e.gid = f[3];
	s->e.nlink = f[4];
	s->e.mtime = f[5];
	s->e.size = f[6];
	s->e.devmajor = f[7];
	s->e.devminor = f[8];
	s->e.rdevmajor = f[9];
	s->e.rdevminor = f[10];
	s->e.namelen = f[11] - 1;
	s->e.name = s->name;
	s->state = CPIO_NAME;
	s->need = f[11];
	s->got = 0;
	return 0;
}

/* The name is complete: announce the entry unless it is the trailer. */
static int parse_name(struct cpio_stream *s)
{
	if (s->name[s->e.namelen] != '\0')
		return -EINVAL;
	s->trailer = s->e.namelen == 10 && !memcmp(s->name, "TRAILER!!!", 10);
	if (!s->trailer) {
		int err = s->ops->begin(s->ctx, &s->e);
		if (err)
			return err;
		s->in_entry = true;
	}
	s->state = CPIO_NAME_PAD;
	s->need = pad_to4(s->pos);
	return 0;
}

/* The current piece is complete: go to the next one. */
static int advance(struct cpio_stream *s)
{
	switch (s->state) {
	case CPIO_HEADER:
		return parse_header(s);
	case CPIO_NAME:
		return parse_name(s);
	case CPIO_NAME_PAD:
		s->state = CPIO_DATA;
		s->need = s->e.size;
		return 0;
	case CPIO_DATA:
		if (s->in_entry)
			s->ops->end(s->ctx);
		s->in_entry = false;
		s->state = CPIO_DATA_PAD;
		s->need = pad_to4(s->pos);
		return 0;
	case CPIO_DATA_PAD:
		s->state = s->trailer && s->stop_at_trailer ? CPIO_DONE : CPIO_HEADER;
		s->need = CPIO_HDR;
		s->got = 0;
		return 0;
	default:
		return -EINVAL;
	}
}

long cpio_stream_feed(struct cpio_stream *s, const void *buf, size_t len)
{
	const char *b = buf;
	size_t i = 0;

	while (s->state != CPIO_DONE) {
		size_t n;

		if (!s->need) {
			int err = advance(s);
			if (err)
				return err;
			continue;
		}
		if (i == len)
			break;
		if (s->state == CPIO_HEADER && s->got == 0 && b[i] == '\0') {
			s->pos++; /* zero padding between archives */
			i++;
			continue;
		}
		n = MIN(len - i, s->need);
		if (s->state == CPIO_HEADER || s->state == CPIO_NAME) {
			memcpy((s->state == CPIO_HEADER ? s->hdr : s->name) + s->got, b + i, n);
			s->got += n;
		} else if (s->state == CPIO_DATA && s->in_entry) {
			int err = s->ops->data(s->ctx, b + i, n);
			if (err)
				return err;
		}
		s->need -= n;
		s->pos += n;
		i += n;
	}
	return (long)i;
}

int cpio_stream_finish(struct cpio_stream *s)
{
	/* Clean at a header boundary, or after the last data when only the
	 * final pad is missing (also the trailer's). */
	bool clean = (s->state == CPIO_HEADER && s->got == 0) || s->state == CPIO_DONE ||
		     s->state == CPIO_DATA_PAD ||
		     (s->state == CPIO_NAME_PAD && (s->trailer || !s->e.size)) ||
		     (s->state == CPIO_DATA && s->trailer);

	if (s->in_entry) {
		s->ops->end(s->ctx);
		s->in_entry = false;
	}
	return clean ? 0 : -EINVAL;
}
