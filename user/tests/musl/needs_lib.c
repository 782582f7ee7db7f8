/* Linked against libmuslt.so without a run path: only LD_LIBRARY_PATH
 * finds it. */
#include <stdio.h>

int muslt_value(int x);
const char *muslt_name(void);

int main(void)
{
	printf("needs_lib value %d name %s\n", muslt_value(10), muslt_name());
	return 0;
}
