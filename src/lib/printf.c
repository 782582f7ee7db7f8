/*
 * kprintf and friends: a small vsnprintf (flags '-', '0', ' ', '+', '#',
 * width, precision, length h/hh/l/ll/z/t; conversions d i u x X o p s c %).
 * kprintf writes through hal_console_putc under a lock so lines from
 * different CPUs do not interleave mid-line.
 */
#include <ferrite/printk.h>
#include <ferrite/spinlock.h>
#include <ferrite/string.h>
#include <hal/hal_console.h>
#include <ferrite/klog.h>

struct outbuf {
	char *buf;
	size_t size, len; /* len counts every byte, even past size */
};

static void out_char(struct outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct outbuf *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

struct spec {
	bool left, zero, plus, space, alt;
	int width, prec; /* prec -1: none */
};

static void out_number(struct outbuf *o, unsigned long long v, bool neg, unsigned base,
		       bool upper, const struct spec *s)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	if (v == 0 && s->prec != 0)
		tmp[n++] = '0';
	while (v) {
		tmp[n++] = digits[v % base];
		v /= base;
	}
	const char *prefix = neg ? "-" : s->plus ? "+" : s->space ? " " : "";
	if (s->alt && base == 16 && n && !(n == 1 && tmp[0] == '0'))
		prefix = upper ? "0X" : "0x";
	int zeros = s->prec > n ? s->prec - n : 0;
	int total = (int)strlen(prefix) + zeros + n;
	if (!s->left && !(s->zero && s->prec < 0))
		out_pad(o, ' ', s->width - total);
	for (const char *p = prefix; *p; p++)
		out_char(o, *p);
	if (!s->left && s->zero && s->prec < 0)
		out_pad(o, '0', s->width - total);
	out_pad(o, '0', zeros);
	while (n)
		out_char(o, tmp[--n]);
	if (s->left)
		out_pad(o, ' ', s->width - total);
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct outbuf o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			out_char(&o, *fmt);
			continue;
		}
		struct spec s = { .prec = -1 };
		for (;; fmt++) {
			char c = fmt[1];
			if (c == '-')
				s.left = true;
			else if (c == '0')
				s.zero = true;
			else if (c == '+')
				s.plus = true;
			else if (c == ' ')
				s.space = true;
			else if (c == '#')
				s.alt = true;
			else
				break;
		}
		fmt++;
		if (*fmt == '*') {
			s.width = va_arg(ap, int);
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				s.width = s.width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			s.prec = 0;
			if (*fmt == '*') {
				s.prec = va_arg(ap, int);
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					s.prec = s.prec * 10 + (*fmt++ - '0');
			}
		}
		int lng = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long */
		for (;; fmt++) {
			if (*fmt == 'l')
				lng++;
			else if (*fmt == 'h')
				lng--;
			else if (*fmt == 'z' || *fmt == 't')
				lng = 1;
			else
				break;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			long long v = lng >= 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
			if (lng == -1)
				v = (short)v;
			else if (lng == -2)
				v = (signed char)v;
			out_number(&o, v < 0 ? -(unsigned long long)v : (unsigned long long)v, v < 0, 10, false, &s);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			unsigned long long v = lng >= 2 ? va_arg(ap, unsigned long long)
				: lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
			if (lng == -1)
				v = (unsigned short)v;
			else if (lng == -2)
				v = (unsigned char)v;
			unsigned base = *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16;
			s.plus = s.space = false;
			out_number(&o, v, false, base, *fmt == 'X', &s);
			break;
		}
		case 'p':
			s.alt = true;
			out_number(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, &s);
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			int len = (int)strnlen(str, s.prec >= 0 ? (size_t)s.prec : (size_t)-1);
			if (!s.left)
				out_pad(&o, ' ', s.width - len);
			for (int i = 0; i < len; i++)
				out_char(&o, str[i]);
			if (s.left)
				out_pad(&o, ' ', s.width - len);
			break;
		}
		case 'c':
			if (!s.left)
				out_pad(&o, ' ', s.width - 1);
			out_char(&o, (char)va_arg(ap, int));
			if (s.left)
				out_pad(&o, ' ', s.width - 1);
			break;
		case '%':
			out_char(&o, '%');
			break;
		case '\0':
			fmt--;
			break;
		default:
			out_char(&o, '%');
			out_char(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static struct spinlock console_out_lock = SPINLOCK_INIT("console_out");

/* Write bytes to the console, adding a carriage return before each newline. */
void console_write_raw(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			hal_console_putc('\r');
		hal_console_putc(s[i]);
	}
}

int vkprintf(const char *fmt, va_list ap)
{
	char buf[512];
	int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	size_t len = n < (int)sizeof(buf) ? (size_t)n : sizeof(buf) - 1;
	const char *text = buf;
	int level = KLOG_DEFAULT_LEVEL;

	if (len >= 2 && buf[0] == KERN_SOH[0] && buf[1] >= '0' && buf[1] <= '7') {
		level = buf[1] - '0';
		text += 2;
		len -= 2;
	}
	klog_store(level, text, len);
	if (klog_console_wants(level)) {
		unsigned long flags = spin_lock_irqsave(&console_out_lock);
		console_write_raw(text, len);
		spin_unlock_irqrestore(&console_out_lock, flags);
	}
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vkprintf(fmt, ap);
	va_end(ap);
	return n;
}
