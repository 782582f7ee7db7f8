/* uname fills every field, with the machine name of the CPU we run on. */
#include "common.h"
#include <sys/utsname.h>

int main(void)
{
	struct utsname u;

	memset(&u, 0xff, sizeof(u));
	CHECK(uname(&u) == 0, "uname");
	const char *fields[] = { u.sysname, u.nodename, u.release, u.version, u.machine };
	for (unsigned i = 0; i < 5; i++)
		CHECK(memchr(fields[i], '\0', sizeof(u.sysname)) != NULL, "field %u not terminated", i);
	CHECK(u.sysname[0] && u.release[0] && u.version[0], "empty sysname/release/version");
	printf("uname: %s %s %s %s %s\n", u.sysname, u.nodename, u.release, u.version, u.machine);
#if defined(__x86_64__)
	CHECK(!strcmp(u.machine, "x86_64"), "machine '%s'", u.machine);
#elif defined(__riscv) && __riscv_xlen == 64
	CHECK(!strcmp(u.machine, "riscv64"), "machine '%s'", u.machine);
#endif
	/* Linux programs parse the release as "major.minor..." */
	int major = atoi(u.release);
	CHECK(major >= 3, "release '%s' does not start with a major version >= 3", u.release);
	return 0;
}
