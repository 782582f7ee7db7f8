/* test/fake/walk_path.h: a path resolved by lookups from the root. */
#define _GNU_SOURCE /* strsep */
#include <stdio.h>
#include <string.h>
#include "walk_path.h"

struct inode *walk_path(struct super_block *sb, const char *path)
{
	struct inode *cur = sb->root;
	char buf[512];

	inode_get(cur);
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *s = buf, *tok; (tok = strsep(&s, "/"));) {
		if (!*tok)
			continue;
		struct inode *next = cur->iops->lookup(cur, tok, strlen(tok));
		inode_put(cur);
		if (IS_ERR(next))
			return next;
		cur = next;
	}
	return cur;
}
