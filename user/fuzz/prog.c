/*
 * Programs (sysfuzz.h, struct prog): generation from (seed, sequence), the
 * mutations the coverage guidance applies to corpus programs, and the
 * one-line text form a failure report prints and --prog-file replays.
 * Pure functions of their arguments and the PRNG; no locks, no globals.
 */
#include "sysfuzz.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned pick_call(struct rng *r)
{
	unsigned idx;
	do
		idx = (unsigned)rng_below(r, ncalls);
	while ((calls[idx].flags & RARE) && !rng_one_in(r, 10));
	return idx;
}

void prog_generate(struct prog *p, uint64_t seed, uint32_t seq, int ncalls_)
{
	struct rng r = { seq_seed(seed, seq) };

	p->setup_seed = rng_next(&r);
	p->n = ncalls_ < PROG_MAX ? (uint32_t)ncalls_ : PROG_MAX;
	p->mutated = 0;
	p->fault_call = -1;
	p->fault_nth = 0;
	for (uint32_t k = 0; k < p->n; k++) {
		p->c[k].idx = pick_call(&r);
		p->c[k].seed = rng_next(&r);
	}
}

static void insert_call(struct prog *p, uint32_t at, struct rng *r)
{
	if (p->n >= PROG_MAX)
		return;
	memmove(&p->c[at + 1], &p->c[at], (p->n - at) * sizeof(p->c[0]));
	p->c[at].idx = pick_call(r);
	p->c[at].seed = rng_next(r);
	p->n++;
}

void prog_mutate(struct prog *p, const struct prog *other, struct rng *r, int max_calls)
{
	uint32_t max = max_calls < PROG_MAX ? (uint32_t)max_calls : PROG_MAX;
	unsigned rounds = 1 + (unsigned)rng_below(r, 3);

	p->mutated = 1;
	while (rounds--) {
		switch (rng_below(r, 6)) {
		case 0: /* splice: our prefix, the other's suffix */
			if (other && other->n) {
				uint32_t cut = (uint32_t)rng_below(r, p->n + 1);
				uint32_t from = (uint32_t)rng_below(r, other->n);
				uint32_t take = other->n - from;
				if (cut + take > max)
					take = max - cut;
				memcpy(&p->c[cut], &other->c[from], take * sizeof(p->c[0]));
				p->n = cut + take;
			}
			break;
		case 1: /* argument tweaks: new seeds for a few calls */
		case 2:
			for (unsigned i = 1 + (unsigned)rng_below(r, 3); i && p->n; i--)
				p->c[rng_below(r, p->n)].seed = rng_next(r);
			break;
		case 3: /* insert new calls */
			for (unsigned i = 1 + (unsigned)rng_below(r, 4); i && p->n < max; i--)
				insert_call(p, (uint32_t)rng_below(r, p->n + 1), r);
			break;
		case 4: /* replace a call */
			if (p->n) {
				uint32_t at = (uint32_t)rng_below(r, p->n);
				p->c[at].idx = pick_call(r);
				p->c[at].seed = rng_next(r);
			}
			break;
		case 5: /* remove a run of calls */
			if (p->n > 1) {
				uint32_t at = (uint32_t)rng_below(r, p->n);
				uint32_t len = 1 + (uint32_t)rng_below(r, 4);
				if (len > p->n - at)
					len = p->n - at;
				memmove(&p->c[at], &p->c[at + len],
					(p->n - at - len) * sizeof(p->c[0]));
				p->n -= len;
			}
			break;
		}
	}
	if (!p->n)
		insert_call(p, 0, r);
	/* Sometimes a new setup too (the resources, the second thread). */
	if (rng_one_in(r, 8))
		p->setup_seed = rng_next(r);
}

void prog_print(const struct prog *p, const char *prefix)
{
	printf("%s%#llx", prefix, (unsigned long long)p->setup_seed);
	for (uint32_t k = 0; k < p->n; k++)
		printf(" %s:%llx", calls[p->c[k].idx].name, (unsigned long long)p->c[k].seed);
	printf("\n");
}

int prog_parse(struct prog *p, const char *text)
{
	char *s = strdup(text), *save = NULL;
	int ret = -1;

	if (!s)
		return -1;
	p->n = 0;
	p->mutated = 1;
	p->fault_call = -1;
	char *t = strtok_r(s, " \t\n", &save);
	if (!t)
		goto out;
	p->setup_seed = strtoull(t, NULL, 0);
	while ((t = strtok_r(NULL, " \t\n", &save)) && p->n < PROG_MAX) {
		char *colon = strchr(t, ':');
		if (!colon)
			goto out;
		*colon = '\0';
		unsigned i;
		for (i = 0; i < ncalls && strcmp(calls[i].name, t); i++)
			;
		if (i == ncalls)
			goto out;
		p->c[p->n].idx = i;
		p->c[p->n].seed = strtoull(colon + 1, NULL, 16);
		p->n++;
	}
	ret = 0;
out:
	free(s);
	return ret;
}
