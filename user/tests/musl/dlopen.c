/* dlopen of libmuslt.so (argv[1]) under ld-musl, then of a missing one. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		printf("dlopen %s: %s\n", argv[1], dlerror());
		return 1;
	}
	int (*value)(int) = (int (*)(int))dlsym(h, "muslt_value");
	if (!value)
		return 1;
	printf("dlopen value %d\n", value(7));
	dlclose(h);
	void *missing = dlopen("/nonexistent/libnothere.so", RTLD_NOW);
	printf("missing %s\n", !missing && dlerror() ? "refused" : "loaded?");
	return 0;
}
