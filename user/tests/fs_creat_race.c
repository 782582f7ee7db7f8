/*
 * open(O_CREAT) without O_EXCL never fails with EEXIST, even when other
 * processes create and unlink the same name at the same time (on Linux the
 * directory's lock spans the lookup and the create; in Ferrite the create
 * looks again when it loses the race). Four processes, one name in /tmp,
 * run at -smp 4 too.
 */
#include "common.h"
#include <fcntl.h>

#define PROCS 4
#define ROUNDS 2000

int main(void)
{
	char path[64];
	snprintf(path, sizeof(path), "/tmp/creat_race.%d", (int)getpid());
	pid_t kids[PROCS];

	fflush(NULL);
	for (int k = 0; k < PROCS; k++) {
		kids[k] = fork();
		CHECK(kids[k] >= 0, "fork");
		if (kids[k] == 0) {
			for (int i = 0; i < ROUNDS; i++) {
				int fd = open(path, O_CREAT | O_RDWR, 0644);
				if (fd < 0) {
					printf("round %d: open(O_CREAT) errno %d\n", i, errno);
					_exit(1);
				}
				close(fd);
				if (unlink(path) != 0 && errno != ENOENT) {
					printf("round %d: unlink errno %d\n", i, errno);
					_exit(2);
				}
			}
			_exit(0);
		}
	}
	for (int k = 0; k < PROCS; k++) {
		int status;
		CHECK(waitpid(kids[k], &status, 0) == kids[k], "waitpid");
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d status 0x%x", k, status);
	}
	unlink(path);
	puts("fs_creat_race: ok");
	return 0;
}
