/* getdents: a new directory lists ".", ".." and the file made in it. */
#include "judge_test.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

int main(void)
{
	jt_begin("getdents");
	mkdir("/tmp/jt_getdents", 0755);
	close(open("/tmp/jt_getdents/entry", O_CREAT | O_WRONLY, 0644));
	DIR *d = opendir("/tmp/jt_getdents");
	int dot = 0, dotdot = 0, entry = 0, n = 0;
	struct dirent *e;
	JT_CHECK(d != NULL);
	while (d && (e = readdir(d))) {
		n++;
		dot += !strcmp(e->d_name, ".");
		dotdot += !strcmp(e->d_name, "..");
		entry += !strcmp(e->d_name, "entry");
	}
	if (d)
		closedir(d);
	JT_CHECK(n == 3 && dot == 1 && dotdot == 1 && entry == 1);
	unlink("/tmp/jt_getdents/entry");
	rmdir("/tmp/jt_getdents");
	return jt_end();
}
