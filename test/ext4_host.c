/*
 * Host side of the ext4 tests: see ext4_host.h. Only the C library.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include "ext4_host.h"

static char tree_dir[256];

static void put_file(const char *dir, const char *name, const void *data, size_t len, unsigned mode)
{
	char p[HOST_PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	int fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, mode);
	if (fd < 0)
		return;
	if (len && write(fd, data, len) != (ssize_t)len)
		perror("write");
	fchmod(fd, mode);
	close(fd);
}

static void sub(char *out, const char *dir, const char *name)
{
	snprintf(out, HOST_PATH_MAX, "%s/%s", dir, name);
}

const char *host_tree_make(bool big)
{
	char p[HOST_PATH_MAX], q[HOST_PATH_MAX];

	snprintf(tree_dir, sizeof(tree_dir), "/tmp/ferrite-ext4-XXXXXX");
	if (!mkdtemp(tree_dir))
		return NULL;
	const char *d = tree_dir;
	put_file(d, "hello.txt", "hello, ext4\n", 12, 0644);
	put_file(d, "empty", "", 0, 0600);
	put_file(d, "setuid", "#!/bin/sh\n", 10, 04755);
	sub(p, d, "dir");
	mkdir(p, 0750);
	sub(p, d, "dir/sub");
	mkdir(p, 0755);
	put_file(d, "dir/sub/deep.txt", "deep down\n", 10, 0644);
	/* 300 KiB of a pattern: several blocks, one or a few extents */
	size_t blen = 300 * 1024 + 123;
	unsigned char *b = malloc(blen);
	uint32_t x = 12345;
	for (size_t i = 0; i < blen; i++) {
		x = x * 1103515245 + 12345;
		b[i] = (unsigned char)(x >> 16);
	}
	put_file(d, "big.bin", b, blen, 0644);
	free(b);
	/* hard links */
	put_file(d, "link_a", "linked\n", 7, 0644);
	sub(p, d, "link_a");
	sub(q, d, "link_b");
	link(p, q);
	/* symlinks: fast (in the inode), slow (a block), to a directory */
	sub(p, d, "sym_fast");
	symlink("hello.txt", p);
	char longt[200];
	memset(longt, 'x', sizeof(longt) - 1);
	memcpy(longt, "dir/", 4);
	longt[sizeof(longt) - 1] = 0;
	sub(p, d, "sym_slow");
	symlink(longt, p);
	sub(p, d, "sym_dir");
	symlink("dir/sub", p);
	sub(p, d, "fifo");
	mkfifo(p, 0644);
	/* owner and a fixed mtime */
	sub(p, d, "owned");
	put_file(d, "owned", "mine\n", 5, 0640);
	if (chown(p, 1000, 1001))
		(void)0; /* not root: the test compares with whatever it is */
	struct timeval tv[2] = { { 1700000000, 0 }, { 1700000000, 0 } };
	utimes(p, tv);
	if (big) {
		/* 2000 names: htree-indexed after e2fsck -D */
		sub(p, d, "many");
		mkdir(p, 0755);
		for (int i = 0; i < 2000; i++) {
			char name[64], body[32];
			snprintf(name, sizeof(name), "many/entry-with-a-longish-name-%05d", i);
			int n = snprintf(body, sizeof(body), "%d\n", i);
			put_file(d, name, body, i % 7 == 0 ? (size_t)n : 0, 0644);
		}
		/* bytes >= 0x80: signed and unsigned char hashes differ */
		put_file(d, "many/\xc3\xa9t\xc3\xa9-caf\xc3\xa9", "utf8\n", 5, 0644);
		put_file(d, "many/\xe2\x82\xac-euro-\xf0\x9f\x98\x80-a-longer-name-past-thirty-two-bytes", "", 0, 0644);
		/* 400 4 KiB pieces every 256 KiB: a 100 MiB sparse file whose
		 * extent tree needs index blocks (depth 2 at 1 KiB blocks) */
		sub(p, d, "sparse.bin");
		int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC, 0644);
		char chunk[4096];
		for (int i = 0; i < 400; i++) {
			memset(chunk, (i * 7 + 1) & 0xff, sizeof(chunk));
			if (pwrite(fd, chunk, sizeof(chunk), (off_t)i * 262144) != (ssize_t)sizeof(chunk))
				perror("pwrite");
		}
		close(fd);
	}
	return tree_dir;
}

void host_tree_remove(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		(void)0;
}

static void walk(const char *root, const char *rel, struct host_entry **v, size_t *n, size_t *cap)
{
	char full[HOST_PATH_MAX * 2];
	struct stat st;

	snprintf(full, sizeof(full), "%s%s%s", root, *rel ? "/" : "", rel);
	if (lstat(full, &st))
		return;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		*v = realloc(*v, *cap * sizeof(**v));
	}
	size_t me = (*n)++;
	struct host_entry *e = &(*v)[me];
	memset(e, 0, sizeof(*e));
	snprintf(e->path, sizeof(e->path), "%s", rel);
	e->mode = st.st_mode;
	e->size = (uint64_t)st.st_size;
	e->uid = st.st_uid;
	e->gid = st.st_gid;
	e->nlink = (unsigned)st.st_nlink;
	e->mtime = st.st_mtime;
	if (S_ISLNK(st.st_mode)) {
		ssize_t k = readlink(full, e->target, sizeof(e->target) - 1);
		if (k > 0)
			e->target[k] = 0;
	}
	if (S_ISDIR(st.st_mode)) {
		DIR *dp = opendir(full);
		struct dirent *de;
		unsigned kids = 0;
		while (dp && (de = readdir(dp))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char r[HOST_PATH_MAX];
			snprintf(r, sizeof(r), "%s%s%s", rel, *rel ? "/" : "", de->d_name);
			kids++;
			walk(root, r, v, n, cap);
		}
		if (dp)
			closedir(dp);
		(*v)[me].nr_children = kids;
	}
}

struct host_entry *host_tree_walk(const char *dir, size_t *count)
{
	struct host_entry *v = NULL;
	size_t n = 0, cap = 0;

	walk(dir, "", &v, &n, &cap);
	*count = n;
	return v;
}

static const char *tool(const char *name)
{
	static char path[128];
	snprintf(path, sizeof(path), "/usr/sbin/%s", name);
	if (access(path, X_OK) == 0)
		return path;
	snprintf(path, sizeof(path), "/sbin/%s", name);
	return access(path, X_OK) == 0 ? path : NULL;
}

int host_mkfs(const char *dir, const char *img, const char *opts, unsigned size_kib, bool index)
{
	char cmd[1024];
	const char *mkfs = tool("mkfs.ext4");

	if (!mkfs)
		return -1;
	unlink(img);
	snprintf(cmd, sizeof(cmd), "%s -q -F -E root_owner=0:0 %s -d '%s' '%s' %uk >/dev/null 2>&1",
		 mkfs, opts, dir, img, size_kib);
	if (system(cmd))
		return -1;
	if (index) {
		const char *fsck = tool("e2fsck");
		if (!fsck)
			return -1;
		snprintf(cmd, sizeof(cmd), "%s -fyD '%s' >/dev/null 2>&1", fsck, img);
		int st = system(cmd);
		if (!WIFEXITED(st) || WEXITSTATUS(st) > 1)
			return -1;
	}
	return 0;
}

int host_set_hash(const char *img, const char *alg)
{
	char cmd[1024];
	const char *tune = tool("tune2fs");

	if (!tune)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s -E hash_alg=%s '%s' >/dev/null 2>&1", tune, alg, img);
	if (system(cmd))
		return -1;
	const char *fsck = tool("e2fsck");
	if (!fsck)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s -fyD '%s' >/dev/null 2>&1", fsck, img);
	int st = system(cmd);
	return WIFEXITED(st) && WEXITSTATUS(st) <= 1 ? 0 : -1;
}

void *host_load(const char *img, size_t *len)
{
	FILE *f = fopen(img, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	void *p = malloc((size_t)n);
	if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		p = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return p;
}

long host_pread(const char *dir, const char *path, void *buf, size_t len, uint64_t off)
{
	char full[HOST_PATH_MAX * 2];
	snprintf(full, sizeof(full), "%s/%s", dir, path);
	int fd = open(full, O_RDONLY);
	if (fd < 0)
		return -1;
	long n = (long)pread(fd, buf, len, (off_t)off);
	close(fd);
	return n;
}

long long host_inode_offset(const char *img, const char *path)
{
	char cmd[1024], line[256];
	const char *debugfs = tool("debugfs");
	long long block = -1, off = -1, bs = 0;

	if (!debugfs)
		return -1;
	snprintf(cmd, sizeof(cmd), "%s -R 'imap %s' '%s' 2>/dev/null; %s -R 'stats' '%s' 2>/dev/null | grep '^Block size'",
		 debugfs, path, img, tool("debugfs"), img);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		char *s;
		if ((s = strstr(line, "located at block ")))
			sscanf(s, "located at block %lld, offset %llx", &block, &off);
		if (!strncmp(line, "Block size:", 11))
			sscanf(line + 11, "%lld", &bs);
	}
	pclose(p);
	if (block < 0 || off < 0 || bs <= 0)
		return -1;
	return block * bs + off;
}
