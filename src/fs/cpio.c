/*
 * cpio "newc" (070701) and "crc" (070702) archive parsing. Pure: no
 * allocation, no globals; every length is checked against the buffer, so a
 * truncated or corrupt archive gives -EINVAL, never a read past the end.
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

int cpio_next(const void *buf, size_t len, size_t *off, struct cpio_entry *e)
{
	const char *b = buf;
	size_t pos = *off;
	uint32_t f[13];
	size_t namesize, datasize, data_at, end;

	if (pos > len || len - pos < CPIO_HDR)
		return -EINVAL;
	if (memcmp(b + pos, "07070", 5) || (b[pos + 5] != '1' && b[pos + 5] != '2'))
		return -EINVAL;
	for (int i = 0; i < 13; i++)
		if (hex8(b + pos + 6 + 8 * i, &f[i]))
			return -EINVAL;
	namesize = f[11];
	datasize = f[6];
	if (namesize == 0 || namesize > PATH_MAX)
		return -EINVAL;
	if (len - pos - CPIO_HDR < namesize)
		return -EINVAL;
	if (b[pos + CPIO_HDR + namesize - 1] != '\0')
		return -EINVAL;
	data_at = ALIGN_UP(pos + CPIO_HDR + namesize, (size_t)4);
	if (data_at > len || len - data_at < datasize)
		return -EINVAL;
	end = ALIGN_UP(data_at + datasize, (size_t)4);
	if (end > len) /* the final pad may be missing at the very end */
		end = len;

	e->name = b + pos + CPIO_HDR;
	e->namelen = namesize - 1;
	e->mode = f[1];
	e->uid = f[2];
	e->gid = f[3];
	e->nlink = f[4];
	e->mtime = f[5];
	e->rdevmajor = f[9];
	e->rdevminor = f[10];
	e->data = b + data_at;
	e->size = datasize;
	*off = end;
	if (e->namelen == 10 && !memcmp(e->name, "TRAILER!!!", 10))
		return 0;
	return 1;
}
