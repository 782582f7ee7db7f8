/*
 * The revoke table recovery builds in its second pass: for each revoked
 * block, the newest transaction that revoked it. A block logged by
 * transaction T is not replayed when a transaction >= T revoked it (it
 * was freed, and may since hold file data that replaying an old metadata
 * copy would destroy).
 *
 * Locking: none; a table belongs to one recovery run.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include "jbd2_internal.h"

#define REVOKE_HASH 256

struct revoke_record {
	struct revoke_record *next;
	uint64_t block;
	uint32_t seq;
};

struct jbd2_revoke_table {
	struct revoke_record *hash[REVOKE_HASH];
	size_t count;
};

static unsigned revoke_hash(uint64_t nr)
{
	return (unsigned)((nr * 0x9e3779b97f4a7c15ull) >> 56) % REVOKE_HASH;
}

struct jbd2_revoke_table *jbd2_revoke_table_new(void)
{
	return kzalloc(sizeof(struct jbd2_revoke_table));
}

void jbd2_revoke_table_free(struct jbd2_revoke_table *rt)
{
	if (!rt)
		return;
	for (unsigned i = 0; i < REVOKE_HASH; i++) {
		while (rt->hash[i]) {
			struct revoke_record *r = rt->hash[i];
			rt->hash[i] = r->next;
			kfree(r);
		}
	}
	kfree(rt);
}

static struct revoke_record *find(const struct jbd2_revoke_table *rt, uint64_t nr)
{
	for (struct revoke_record *r = rt->hash[revoke_hash(nr)]; r; r = r->next)
		if (r->block == nr)
			return r;
	return NULL;
}

int jbd2_revoke_set(struct jbd2_revoke_table *rt, uint64_t nr, uint32_t seq)
{
	struct revoke_record *r = find(rt, nr);

	if (r) {
		if (tid_gt(seq, r->seq))
			r->seq = seq;
		return 0;
	}
	r = kmalloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->block = nr;
	r->seq = seq;
	r->next = rt->hash[revoke_hash(nr)];
	rt->hash[revoke_hash(nr)] = r;
	rt->count++;
	return 0;
}

bool jbd2_revoke_test(const struct jbd2_revoke_table *rt, uint64_t nr, uint32_t seq)
{
	const struct revoke_record *r = find(rt, nr);

	return r && tid_geq(r->seq, seq);
}

size_t jbd2_revoke_count(const struct jbd2_revoke_table *rt)
{
	return rt->count;
}
