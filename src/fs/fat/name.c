/*
 * FAT names: UTF-8 (what Linux's vfat shows with iocharset=utf8) to and
 * from the UTF-16 of long-name entries, the long-name checksum, 8.3 short
 * names (shown with the NT case flags applied; made as Linux's default
 * shortname=mixed does: a name that is already a valid upper-case 8.3 name
 * is stored alone, every other one gets a long name and an upper-case
 * short alias, with a ~N tail when it had to be shortened or is taken),
 * and the case-insensitive comparison lookups use (ASCII letters, as
 * Linux's vfat with utf8). Pure functions: no locks.
 */
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include "fat.h"

static bool bad_lfn_char(uint32_t c)
{
	return c < 0x20 || c == '*' || c == '?' || c == '<' || c == '>' || c == '|' || c == '"' ||
	       c == ':' || c == '/' || c == '\\';
}

int fat_name_to_utf16(const char *name, size_t len, uint16_t *out)
{
	int n = 0;

	while (len && name[len - 1] == '.') /* Linux's vfat_striptail_len */
		len--;
	if (len == 0)
		return -ENOENT;
	for (size_t i = 0; i < len;) {
		uint8_t b = (uint8_t)name[i];
		uint32_t c;
		size_t k;
		if (b < 0x80) {
			c = b;
			k = 1;
		} else if ((b & 0xE0) == 0xC0) {
			c = b & 0x1F;
			k = 2;
		} else if ((b & 0xF0) == 0xE0) {
			c = b & 0x0F;
			k = 3;
		} else if ((b & 0xF8) == 0xF0) {
			c = b & 0x07;
			k = 4;
		} else {
			return -EINVAL;
		}
		if (i + k > len)
			return -EINVAL;
		for (size_t j = 1; j < k; j++) {
			uint8_t cb = (uint8_t)name[i + j];
			if ((cb & 0xC0) != 0x80)
				return -EINVAL;
			c = c << 6 | (cb & 0x3F);
		}
		if ((k == 2 && c < 0x80) || (k == 3 && c < 0x800) || (k == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
		    (c >= 0xD800 && c <= 0xDFFF))
			return -EINVAL;
		if (bad_lfn_char(c))
			return -EINVAL;
		i += k;
		if (c >= 0x10000) {
			if (n + 2 > FAT_LFN_MAX)
				return -ENAMETOOLONG;
			c -= 0x10000;
			out[n++] = (uint16_t)(0xD800 | (c >> 10));
			out[n++] = (uint16_t)(0xDC00 | (c & 0x3FF));
		} else {
			if (n + 1 > FAT_LFN_MAX)
				return -ENAMETOOLONG;
			out[n++] = (uint16_t)c;
		}
	}
	return n;
}

size_t fat_utf16_to_utf8(const uint16_t *in, size_t n, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t c = in[i];
		if (c >= 0xD800 && c <= 0xDBFF && i + 1 < n && in[i + 1] >= 0xDC00 && in[i + 1] <= 0xDFFF) {
			c = 0x10000 + ((c - 0xD800) << 10) + (in[i + 1] - 0xDC00);
			i++;
		} else if (c >= 0xD800 && c <= 0xDFFF) {
			c = '?'; /* a lone surrogate */
		}
		char tmp[4];
		size_t k;
		if (c < 0x80) {
			tmp[0] = (char)c;
			k = 1;
		} else if (c < 0x800) {
			tmp[0] = (char)(0xC0 | c >> 6);
			tmp[1] = (char)(0x80 | (c & 0x3F));
			k = 2;
		} else if (c < 0x10000) {
			tmp[0] = (char)(0xE0 | c >> 12);
			tmp[1] = (char)(0x80 | ((c >> 6) & 0x3F));
			tmp[2] = (char)(0x80 | (c & 0x3F));
			k = 3;
		} else {
			tmp[0] = (char)(0xF0 | c >> 18);
			tmp[1] = (char)(0x80 | ((c >> 12) & 0x3F));
			tmp[2] = (char)(0x80 | ((c >> 6) & 0x3F));
			tmp[3] = (char)(0x80 | (c & 0x3F));
			k = 4;
		}
		if (o + k >= size)
			break;
		memcpy(out + o, tmp, k);
		o += k;
	}
	out[o] = '\0';
	return o;
}

uint8_t fat_lfn_checksum(const uint8_t *s)
{
	uint8_t sum = 0;

	for (int i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + s[i]);
	return sum;
}

size_t fat_short_to_utf8(const uint8_t *raw, uint8_t ntres, char *out)
{
	size_t o = 0;
	int bl = 8, el = 3;

	while (bl > 0 && raw[bl - 1] == ' ')
		bl--;
	while (el > 0 && raw[8 + el - 1] == ' ')
		el--;
	for (int i = 0; i < bl; i++) {
		uint8_t c = (i == 0 && raw[0] == DE_KANJI_E5) ? '_' : raw[i];
		if (c >= 0x80)
			c = '_';
		if ((ntres & NTRES_LOWER_BASE) && c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		out[o++] = (char)c;
	}
	if (el) {
		out[o++] = '.';
		for (int i = 0; i < el; i++) {
			uint8_t c = raw[8 + i] >= 0x80 ? '_' : raw[8 + i];
			if ((ntres & NTRES_LOWER_EXT) && c >= 'A' && c <= 'Z')
				c = (uint8_t)(c + 32);
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return o;
}

/* Characters a short name may hold as they are (upper case). */
static bool short_char_ok(uint16_t c)
{
	if (c >= 'A' && c <= 'Z')
		return true;
	if (c >= '0' && c <= '9')
		return true;
	return c < 0x80 && c > 0x20 && strchr("$%'-_@~`!(){}^#&", (int)c);
}

static uint8_t upper(uint16_t c)
{
	return (uint8_t)((c >= 'a' && c <= 'z') ? c - 32 : c);
}

bool fat_name_fits_short(const uint16_t *u, int n, uint8_t *raw, uint8_t *ntres)
{
	int dot = -1;

	for (int i = 0; i < n; i++)
		if (u[i] == '.') {
			if (dot >= 0)
				return false;
			dot = i;
		}
	int bl = dot < 0 ? n : dot, el = dot < 0 ? 0 : n - dot - 1;
	if (bl < 1 || bl > 8 || el > 3 || (dot >= 0 && el == 0))
		return false;
	for (int i = 0; i < n; i++)
		if (i != dot && !short_char_ok(u[i]))
			return false; /* lower case included: shortname=mixed stores a long name */
	memset(raw, ' ', 11);
	for (int i = 0; i < bl; i++)
		raw[i] = (uint8_t)u[i];
	for (int i = 0; i < el; i++)
		raw[8 + i] = (uint8_t)u[dot + 1 + i];
	if (raw[0] == DE_FREE)
		raw[0] = DE_KANJI_E5;
	*ntres = 0;
	return true;
}

void fat_short_base(const uint16_t *u, int n, uint8_t *raw, unsigned *base_len)
{
	int dot = -1;
	unsigned bl = 0, el = 0;

	for (int i = n - 1; i > 0; i--)
		if (u[i] == '.') {
			dot = i;
			break;
		}
	memset(raw, ' ', 11);
	for (int i = 0; i < (dot < 0 ? n : dot) && bl < 8; i++) {
		uint16_t c = u[i];
		if (c == ' ' || c == '.')
			continue;
		uint8_t s = upper(c);
		raw[bl++] = short_char_ok(s) ? s : '_';
	}
	for (int i = dot + 1; dot >= 0 && i < n && el < 3; i++) {
		uint16_t c = u[i];
		if (c == ' ' || c == '.')
			continue;
		uint8_t s = upper(c);
		raw[8 + el++] = short_char_ok(s) ? s : '_';
	}
	if (bl == 0)
		raw[bl++] = '_';
	*base_len = bl;
}

void fat_short_tail(uint8_t *raw, unsigned base_len, unsigned tail)
{
	char digits[12];
	int nd = 0;

	do {
		digits[nd++] = (char)('0' + tail % 10);
		tail /= 10;
	} while (tail);
	unsigned keep = MIN(base_len, 8u - 1 - (unsigned)nd);
	for (unsigned i = keep; i < 8; i++)
		raw[i] = ' ';
	raw[keep] = '~';
	for (int i = 0; i < nd; i++)
		raw[keep + 1 + i] = (uint8_t)digits[nd - 1 - i];
}

bool fat_name_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (char)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}
