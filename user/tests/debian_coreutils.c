/*
 * Debian's coreutils (ls -l, sort, md5sum, dd, date, and more), grep, sed,
 * gawk, findutils, diffutils, tar with gzip and xz: one bash script, its
 * output checked line by line. See debian_common.h for where the programs
 * come from.
 */
#include "debian_common.h"

static const char script[] =
	"set -e\n"
	"mkdir -p /tmp/work && cd /tmp/work\n"
	"printf 'banana\\napple\\ncherry\\n' > fruits\n"
	"sort fruits | tr '\\n' ,; echo\n"
	"sort -r fruits | head -n 1\n"
	"ls -l fruits | awk '{ print $1, $2, $3, $5, $9 }'\n"
	"ls -a\n"
	"md5sum fruits\n"
	"sha256sum fruits | cut -c1-16\n"
	"dd if=/dev/zero of=zeros bs=512 count=4 status=none\n"
	"stat -c '%s %F' zeros\n"
	"dd if=fruits of=copy bs=3 status=none && cmp fruits copy && echo dd-copy-ok\n"
	"date -u -d @86400 '+%Y-%m-%d %H:%M:%S %Z'\n"
	"[ \"$(date +%s)\" -gt 1500000000 ] && echo date-now-ok\n"
	"grep -n an fruits\n"
	"grep -c -E '^(apple|cherry)$' fruits\n"
	"sed -e 's/a/A/g' -e '2d' fruits | tr '\\n' ' '; echo\n"
	"gawk 'BEGIN { printf \"%.4f\\n\", atan2(0, -1) } { n += length($0) } END { print NR, n }' fruits\n"
	"echo '3 4 5' | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i * $i; print s }'\n"
	"mkdir -p tree/a/b tree/c && touch tree/a/b/x.txt tree/c/y.txt tree/a/z.log\n"
	"find tree -name '*.txt' | sort\n"
	"find tree -type d | wc -l\n"
	"printf 'apple\\nbanana\\ncherry\\n' > sorted\n"
	"diff fruits sorted || echo \"diff-status:$?\"\n"
	"diff -q fruits fruits && echo same\n"
	"tar czf t.tgz tree && tar tzf t.tgz | sort | tr '\\n' ' '; echo\n"
	"tar cJf t.txz tree && xz -t t.txz && echo xz-ok\n"
	"mkdir out && tar xJf t.txz -C out && diff -r tree out/tree && echo tar-xz-roundtrip\n"
	"gzip -c fruits | gzip -dc | md5sum | cut -d' ' -f1\n"
	"seq 1 5 | xargs -n 2 echo\n"
	"echo ferrite | wc -c\n"
	"expr 6 \\* 7\n"
	"basename /a/b/c.txt .txt; dirname /a/b/c.txt\n"
	"cd / && rm -rf /tmp/work && echo cleaned\n";

static const char want[] =
	"apple,banana,cherry,\n"
	"cherry\n"
	"-rw-r--r-- 1 root 20 fruits\n"
	".\n..\nfruits\n"
	"f032661487849f34a40bd2c3b2850757  fruits\n"
	"64112a2c204881f4\n"
	"2048 regular file\n"
	"dd-copy-ok\n"
	"1970-01-02 00:00:00 UTC\n"
	"date-now-ok\n"
	"1:banana\n"
	"2\n"
	"bAnAnA cherry \n"
	"3.1416\n"
	"3 17\n"
	"50\n"
	"tree/a/b/x.txt\ntree/c/y.txt\n"
	"4\n"
	"1d0\n< banana\n2a2\n> banana\n"
	"diff-status:1\n"
	"same\n"
	"tree/ tree/a/ tree/a/b/ tree/a/b/x.txt tree/a/z.log tree/c/ tree/c/y.txt \n"
	"xz-ok\n"
	"tar-xz-roundtrip\n"
	"f032661487849f34a40bd2c3b2850757\n"
	"1 2\n3 4\n5\n"
	"8\n"
	"42\n"
	"c\n/a/b\n"
	"cleaned\n";

int main(void)
{
	int r = debian_setup();
	if (r)
		return r;
	debian_put("root/coreutils.sh", script, 0755);
	debian_expect((char *const[]){ "/bin/bash", "/root/coreutils.sh", NULL }, want);
	debian_teardown();
	puts("debian_coreutils: ok");
	return 0;
}
