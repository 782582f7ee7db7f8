/* sched_yield: succeeds, and three children taking turns all finish. */
#include "judge_test.h"
#include <sched.h>
#include <sys/wait.h>

int main(void)
{
	int status, ok = 1;
	jt_begin("yield");
	JT_CHECK(sched_yield() == 0);
	for (int i = 0; i < 3; i++)
		if (fork() == 0) {
			for (int j = 0; j < 5; j++)
				sched_yield();
			_exit(0);
		}
	for (int i = 0; i < 3; i++)
		ok &= wait(&status) > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	JT_CHECK(ok);
	return jt_end();
}
