/*
 * ipcrm: remove System V objects by id (-m shmid, -q msqid, -s semid), by
 * key (-M, -Q, -S) or all of them (-a). Exit 0 when every removal worked,
 * 1 when one failed (with a message), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

enum kind { SHM, MSG, SEM };
static const char *const kind_name[] = { "shared memory", "message queue", "semaphore" };

static int remove_id(enum kind k, int id)
{
	int r = k == SHM ? shmctl(id, IPC_RMID, NULL)
	      : k == MSG ? msgctl(id, IPC_RMID, NULL)
			 : semctl(id, 0, IPC_RMID);
	if (r < 0) {
		fprintf(stderr, "ipcrm: %s id %d: %s\n", kind_name[k], id, strerror(errno));
		return 1;
	}
	return 0;
}

static int remove_key(enum kind k, key_t key)
{
	int id = k == SHM ? shmget(key, 0, 0) : k == MSG ? msgget(key, 0) : semget(key, 0, 0);

	if (key == IPC_PRIVATE) {
		fprintf(stderr, "ipcrm: %s key 0: invalid key\n", kind_name[k]);
		return 1;
	}
	if (id < 0) {
		fprintf(stderr, "ipcrm: %s key 0x%x: %s\n", kind_name[k], (unsigned)key,
			strerror(errno));
		return 1;
	}
	return remove_id(k, id);
}

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

static int remove_all(void)
{
	struct shm_info si;
	struct msginfo mi;
	struct seminfo ei;
	struct shmid_ds sds;
	struct msqid_ds mds;
	struct semid_ds eds;
	int max, id, err = 0;

	max = shmctl(0, SHM_INFO, (struct shmid_ds *)(void *)&si);
	for (int i = 0; i <= max; i++)
		if ((id = shmctl(i, SHM_STAT, &sds)) >= 0)
			err |= remove_id(SHM, id);
	max = msgctl(0, MSG_INFO, (struct msqid_ds *)(void *)&mi);
	for (int i = 0; i <= max; i++)
		if ((id = msgctl(i, MSG_STAT, &mds)) >= 0)
			err |= remove_id(MSG, id);
	max = semctl(0, 0, SEM_INFO, (union semun){ .__buf = &ei });
	for (int i = 0; i <= max; i++)
		if ((id = semctl(i, 0, SEM_STAT, (union semun){ .buf = &eds })) >= 0)
			err |= remove_id(SEM, id);
	return err;
}

static int usage(void)
{
	fprintf(stderr, "usage: ipcrm [-m shmid] [-q msqid] [-s semid]\n"
			"             [-M shmkey] [-Q msgkey] [-S semkey] [-a]\n");
	return 2;
}

static bool parse(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 0);
	return !errno && *s && !*end;
}

int main(int argc, char **argv)
{
	int c, err = 0, did = 0;
	long v;

	while ((c = getopt(argc, argv, "m:q:s:M:Q:S:ah")) != -1) {
		enum kind k = (c == 'm' || c == 'M') ? SHM : (c == 'q' || c == 'Q') ? MSG : SEM;
		switch (c) {
		case 'm': case 'q': case 's':
			if (!parse(optarg, &v) || v < 0)
				return usage();
			err |= remove_id(k, (int)v);
			break;
		case 'M': case 'Q': case 'S':
			if (!parse(optarg, &v))
				return usage();
			err |= remove_key(k, (key_t)v);
			break;
		case 'a':
			err |= remove_all();
			break;
		default:
			return usage();
		}
		did = 1;
	}
	if (!did || optind != argc)
		return usage();
	return err ? 1 : 0;
}
