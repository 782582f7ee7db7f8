/*
 * Packet buffers: one allocation holding the parsed headers and the
 * payload. Ownership rules are in include/ferrite/net.h; no locks here.
 */
#include <ferrite/kmalloc.h>
#include <ferrite/net.h>
#include <ferrite/string.h>

static size_t pkbs_live; /* atomic */

size_t pkbs_count_live(void)
{
	return __atomic_load_n(&pkbs_live, __ATOMIC_RELAXED);
}

struct pkb *pkb_alloc(size_t len)
{
	struct pkb *p = kmalloc(sizeof(*p) + len);

	if (!p)
		return NULL;
	memset(p, 0, sizeof(*p));
	list_init(&p->node);
	p->len = len;
	__atomic_add_fetch(&pkbs_live, 1, __ATOMIC_RELAXED);
	return p;
}

void pkb_free(struct pkb *p)
{
	if (!p)
		return;
	kfree(p);
	__atomic_sub_fetch(&pkbs_live, 1, __ATOMIC_RELAXED);
}
