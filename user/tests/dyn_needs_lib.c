/* Helper of dyn_libpath (not a test): linked against libdyntest.so with no
 * run path, so ld.so finds the library only through LD_LIBRARY_PATH. */
#include <stdio.h>

int dyntest_add(int a, int b);
int dyntest_constructed(void);

int main(void)
{
	printf("needs_lib %d %d\n", dyntest_add(40, 2), dyntest_constructed());
	return 0;
}
