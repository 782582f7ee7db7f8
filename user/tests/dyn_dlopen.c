/*
 * dlopen: load libdyntest.so (built beside the tests) by path, run its
 * constructor, find functions with dlsym, use its thread-local variable
 * (dynamic TLS) from two threads, close it; load libm.so.6 by name from
 * the default directories; a missing file and a missing symbol fail with
 * dlerror's message.
 */
#include "dyn_common.h"
#include <dlfcn.h>
#include <pthread.h>

static int (*tls_get)(void);
static void (*tls_set)(int);

static void *thread_fn(void *arg)
{
	(void)arg;
	if (tls_get() != 7)
		return (void *)1;
	tls_set(99);
	return tls_get() == 99 ? NULL : (void *)2;
}

int main(int argc, char **argv)
{
	char dir[512], lib[600];
	const char *err;

	(void)argc;
	dyn_test_dir(argv[0], dir, sizeof(dir));
	snprintf(lib, sizeof(lib), "%s/libdyntest.so", dir);

	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	CHECK(h, "dlopen %s: %s", lib, dlerror());
	int (*add)(int, int) = (int (*)(int, int))dlsym(h, "dyntest_add");
	int (*ctor)(void) = (int (*)(void))dlsym(h, "dyntest_constructed");
	tls_get = (int (*)(void))dlsym(h, "dyntest_tls_get");
	tls_set = (void (*)(int))dlsym(h, "dyntest_tls_set");
	CHECK(add && ctor && tls_get && tls_set, "dlsym: %s", dlerror());
	CHECK(add(2, 3) == 5, "dyntest_add(2, 3) = %d", add(2, 3));
	CHECK(ctor() == 1234, "constructor did not run (%d)", ctor());

	CHECK(tls_get() == 7, "dlopen'ed TLS initial value %d", tls_get());
	tls_set(11);
	pthread_t t;
	void *ret;
	CHECK(pthread_create(&t, NULL, thread_fn, NULL) == 0, "pthread_create");
	CHECK(pthread_join(t, &ret) == 0 && ret == NULL, "thread TLS check %p", ret);
	CHECK(tls_get() == 11, "main's TLS changed to %d", tls_get());

	dlerror();
	CHECK(dlsym(h, "no_such_symbol") == NULL, "dlsym of a missing symbol succeeded");
	err = dlerror();
	CHECK(err && strstr(err, "no_such_symbol"), "dlerror '%s'", err ? err : "(null)");
	CHECK(dlclose(h) == 0, "dlclose: %s", dlerror());

	/* By soname, from ld.so's default directories. */
	void *m = dlopen("libm.so.6", RTLD_NOW);
	CHECK(m, "dlopen libm.so.6: %s", dlerror());
	double (*cosp)(double) = (double (*)(double))dlsym(m, "cos");
	CHECK(cosp && cosp(0.0) == 1.0, "cos from libm");
	dlclose(m);

	CHECK(dlopen("/nonexistent/libnope.so", RTLD_NOW) == NULL, "dlopen of a missing file");
	err = dlerror();
	CHECK(err && strstr(err, "No such file"), "dlerror '%s'", err ? err : "(null)");
	return 0;
}
