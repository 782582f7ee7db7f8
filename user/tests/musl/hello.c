/* A musl program linked dynamically (PIE) for musl_dyn: it was started by
 * ld-musl (AT_BASE set), and prints its arguments. */
#include <stdio.h>
#include <sys/auxv.h>

int main(int argc, char **argv)
{
	printf("hello from musl, interp %s, argc %d, last %s\n",
	       getauxval(AT_BASE) ? "yes" : "no", argc, argv[argc - 1]);
	return 0;
}
