/* libdyntest.so: the shared library the dynamic-linking tests load, by
 * DT_NEEDED (dyn_needs_lib) and by dlopen (dyn_dlopen). It has a
 * constructor, initialised data and a thread-local variable (dynamic TLS
 * when dlopen'ed). */
static int constructed;
static int bias = 0;
__thread int dyntest_tls = 7;

__attribute__((constructor)) static void dyntest_init(void)
{
	constructed = 1234;
}

int dyntest_add(int a, int b)
{
	return a + b + bias;
}

int dyntest_constructed(void)
{
	return constructed;
}

int dyntest_tls_get(void)
{
	return dyntest_tls;
}

void dyntest_tls_set(int v)
{
	dyntest_tls = v;
}
