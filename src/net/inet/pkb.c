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

#define PKB_INLINE_MAX 1024

struct pkb *pkb_alloc(size_t len)
{
	bool inline_data = len <= PKB_INLINE_MAX;
	struct pkb *p = kmalloc(sizeof(*p) + (inline_data ? len : 0));

	if (!p)
		return NULL;
	memset(p, 0, sizeof(*p));
	p->data = inline_data ? p->inline_data : kmalloc(len);
	if (!p->data) {
		kfree(p);
		return NULL;
	}
	list_init(&p->node);
	p->len = len;
	__atomic_add_fetch(&pkbs_live, 1, __ATOMIC_RELAXED);
	return p;
}

void pkb_free(struct pkb *p)
{
	if (!p)
		return;
	if (p->data != p->inline_data)
		kfree(p->data);
	kfree(p);
	__atomic_sub_fetch(&pkbs_live, 1, __ATOMIC_RELAXED);
}
