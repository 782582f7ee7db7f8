/*
 * A tiny stand-in for src/fs's struct file in host tests: a refcounted
 * in-memory byte array readable with kernel_read().
 */
#include <stdlib.h>
#include <string.h>

#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/printk.h>
#include <ferrite/vm.h>
#include "fake.h"

struct file {
	int refcount;
	size_t size;
	char *data;
};

struct file *fake_file_create(const void *data, size_t size)
{
	struct file *f = calloc(1, sizeof(*f));

	f->refcount = 1;
	f->size = size;
	f->data = malloc(size ? size : 1);
	memcpy(f->data, data, size);
	return f;
}

int fake_file_refcount(struct file *f) { return f->refcount; }

void file_get(struct file *f) { f->refcount++; }

void file_put(struct file *f)
{
	BUG_ON(f->refcount <= 0);
	if (--f->refcount == 0) {
		free(f->data);
		free(f);
	}
}

ssize_t kernel_read(struct file *f, void *buf, size_t n, off_t off)
{
	if (off < 0)
		return -EINVAL;
	if ((size_t)off >= f->size)
		return 0;
	n = MIN(n, f->size - (size_t)off);
	memcpy(buf, f->data + off, n);
	return (ssize_t)n;
}

/* src/mm/filemap.c stand-in: fake files have no vm_object, so they are
 * mapped as private copies (writable shared mappings are refused). */
int filemap_prepare(struct file *f, bool shared, int prot, struct vm_object **obj,
		    bool *may_write)
{
	(void)f;
	*obj = NULL;
	*may_write = true;
	return shared && (prot & PROT_WRITE) ? -ENODEV : 0;
}
