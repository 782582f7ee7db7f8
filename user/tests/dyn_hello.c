/* Helper (not a test): the smallest program, built twice, dynamically
 * linked (dyn_hello) and static (dyn_hello_static), whose start-up cost
 * dyn_spawn measures. */
#include <stdio.h>

int main(void)
{
	puts("hello");
	return 0;
}
