/* libmuslt.so: the shared library the musl programs of musl_dyn load. */
int muslt_value(int x);
const char *muslt_name(void);

static int base = 1; /* data relocated by ld-musl */

int muslt_value(int x)
{
	return x * 3 + base;
}

const char *muslt_name(void)
{
	return "muslt";
}
