/*
 * ipcs: list System V shared memory segments, message queues and semaphore
 * sets like util-linux ipcs (key, id, owner, perms and the per-kind
 * columns). Walks the kernel's slots with SHM_STAT/MSG_STAT/SEM_STAT up to
 * the highest index that SHM_INFO/MSG_INFO/SEM_INFO report.
 * Usage: ipcs [-m] [-q] [-s] [-a]; exit 0, or 1 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

/* The user name of uid from /etc/passwd (no NSS in a static program). */
static const char *owner(uid_t uid)
{
	static char name[64];
	char line[256];
	FILE *f = fopen("/etc/passwd", "r");

	snprintf(name, sizeof(name), "%u", (unsigned)uid);
	if (!f)
		return name;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		unsigned id;
		if (colon && sscanf(colon, ":%*[^:]:%u:", &id) == 1 && id == uid) {
			*colon = '\0';
			snprintf(name, sizeof(name), "%.63s", line);
			break;
		}
	}
	fclose(f);
	return name;
}

static void list_shm(void)
{
	struct shmid_ds ds;
	int max = shmctl(0, SHM_INFO, (struct shmid_ds *)(void *)&(struct shm_info){ 0 });

	printf("\n------ Shared Memory Segments --------\n");
	printf("%-10s %-10s %-10s %-10s %-10s %-10s %-12s\n", "key", "shmid", "owner", "perms",
	       "bytes", "nattch", "status");
	for (int i = 0; i <= max; i++) {
		int id = shmctl(i, SHM_STAT, &ds);
		if (id < 0)
			continue;
		printf("0x%08x %-10d %-10s %-10o %-10lu %-10lu %-12s\n", (unsigned)ds.shm_perm.__key,
		       id, owner(ds.shm_perm.uid), ds.shm_perm.mode & 0777,
		       (unsigned long)ds.shm_segsz, (unsigned long)ds.shm_nattch,
		       (ds.shm_perm.mode & SHM_DEST) ? "dest" : "");
	}
}

static void list_msg(void)
{
	struct msqid_ds ds;
	struct msginfo info;
	int max = msgctl(0, MSG_INFO, (struct msqid_ds *)(void *)&info);

	printf("\n------ Message Queues --------\n");
	printf("%-10s %-10s %-10s %-10s %-12s %-12s\n", "key", "msqid", "owner", "perms",
	       "used-bytes", "messages");
	for (int i = 0; i <= max; i++) {
		int id = msgctl(i, MSG_STAT, &ds);
		if (id < 0)
			continue;
		printf("0x%08x %-10d %-10s %-10o %-12lu %-12lu\n", (unsigned)ds.msg_perm.__key, id,
		       owner(ds.msg_perm.uid), ds.msg_perm.mode & 0777,
		       (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qnum);
	}
}

static void list_sem(void)
{
	struct semid_ds ds;
	struct seminfo info;
	int max = semctl(0, 0, SEM_INFO, (union semun){ .__buf = &info });

	printf("\n------ Semaphore Arrays --------\n");
	printf("%-10s %-10s %-10s %-10s %-10s\n", "key", "semid", "owner", "perms", "nsems");
	for (int i = 0; i <= max; i++) {
		int id = semctl(i, 0, SEM_STAT, (union semun){ .buf = &ds });
		if (id < 0)
			continue;
		printf("0x%08x %-10d %-10s %-10o %-10lu\n", (unsigned)ds.sem_perm.__key, id,
		       owner(ds.sem_perm.uid), ds.sem_perm.mode & 0777, (unsigned long)ds.sem_nsems);
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: ipcs [-m] [-q] [-s] [-a]\n"
			"  -m  shared memory segments\n  -q  message queues\n"
			"  -s  semaphore arrays\n  -a  all (the default)\n");
	return 1;
}

int main(int argc, char **argv)
{
	int want = 0, c;

	while ((c = getopt(argc, argv, "mqsah")) != -1) {
		switch (c) {
		case 'm': want |= 1; break;
		case 'q': want |= 2; break;
		case 's': want |= 4; break;
		case 'a': want |= 7; break;
		default: return usage();
		}
	}
	if (optind != argc)
		return usage();
	if (!want)
		want = 7;
	if (want & 1)
		list_shm();
	if (want & 2)
		list_msg();
	if (want & 4)
		list_sem();
	printf("\n");
	return 0;
}
