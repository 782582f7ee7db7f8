/*
 * System V IPC user ABI: the structures and constants shmctl/msgctl/semctl,
 * semop and msgsnd/msgrcv exchange with user space (Linux's "64" layouts;
 * on 64-bit kernels every caller gets them, the IPC_64 bit is ignored).
 * riscv64 uses asm-generic; x86_64 differs only in semid64_ds, which has a
 * padding word after each time field.
 */
#pragma once
#include <ferrite/types.h>

typedef int key_t;

/* get flags */
#define IPC_CREAT 01000
#define IPC_EXCL 02000
#define IPC_NOWAIT 04000
#define IPC_PRIVATE ((key_t)0)

/* control commands common to the three kinds */
#define IPC_RMID 0
#define IPC_SET 1
#define IPC_STAT 2
#define IPC_INFO 3
#define IPC_64 0x0100

/* shm */
#define SHM_RDONLY 010000
#define SHM_RND 020000
#define SHM_REMAP 040000
#define SHM_EXEC 0100000
#define SHM_LOCK 11
#define SHM_UNLOCK 12
#define SHM_STAT 13
#define SHM_INFO 14
#define SHM_STAT_ANY 15
#define SHM_DEST 01000   /* shm_perm.mode: removed, destroyed at last detach */
#define SHM_LOCKED 02000 /* shm_perm.mode: SHM_LOCK */
#define SHM_HUGETLB 04000
#define SHM_NORESERVE 010000
#define SHMLBA PAGE_SIZE

/* msg */
#define MSG_NOERROR 010000
#define MSG_EXCEPT 020000
#define MSG_COPY 040000
#define MSG_STAT 11
#define MSG_INFO 12
#define MSG_STAT_ANY 13

/* sem */
#define SEM_UNDO 0x1000
#define GETPID 11
#define GETVAL 12
#define GETALL 13
#define GETNCNT 14
#define GETZCNT 15
#define SETVAL 16
#define SETALL 17
#define SEM_STAT 18
#define SEM_INFO 19
#define SEM_STAT_ANY 20

struct ipc64_perm {
	key_t key;
	uid_t uid;
	gid_t gid;
	uid_t cuid;
	gid_t cgid;
	unsigned int mode;
	unsigned short seq;
	unsigned short __pad2;
	unsigned long __unused1;
	unsigned long __unused2;
};

struct shmid64_ds {
	struct ipc64_perm shm_perm;
	size_t shm_segsz;
	long shm_atime;
	long shm_dtime;
	long shm_ctime;
	pid_t shm_cpid;
	pid_t shm_lpid;
	unsigned long shm_nattch;
	unsigned long __unused4;
	unsigned long __unused5;
};

struct shminfo64 {
	unsigned long shmmax;
	unsigned long shmmin;
	unsigned long shmmni;
	unsigned long shmseg;
	unsigned long shmall;
	unsigned long __unused1, __unused2, __unused3, __unused4;
};

struct shm_info {
	int used_ids;
	unsigned long shm_tot; /* pages */
	unsigned long shm_rss;
	unsigned long shm_swp;
	unsigned long swap_attempts;
	unsigned long swap_successes;
};

struct msqid64_ds {
	struct ipc64_perm msg_perm;
	long msg_stime;
	long msg_rtime;
	long msg_ctime;
	unsigned long msg_cbytes;
	unsigned long msg_qnum;
	unsigned long msg_qbytes;
	pid_t msg_lspid;
	pid_t msg_lrpid;
	unsigned long __unused4;
	unsigned long __unused5;
};

struct msginfo {
	int msgpool;
	int msgmap;
	int msgmax;
	int msgmnb;
	int msgmni;
	int msgssz;
	int msgtql;
	unsigned short msgseg;
};

struct semid64_ds {
	struct ipc64_perm sem_perm;
	long sem_otime;
#if defined(__x86_64__)
	unsigned long __unused1;
#endif
	long sem_ctime;
#if defined(__x86_64__)
	unsigned long __unused2;
#endif
	unsigned long sem_nsems;
	unsigned long __unused3;
	unsigned long __unused4;
};

struct seminfo {
	int semmap;
	int semmni;
	int semmns;
	int semmnu;
	int semmsl;
	int semopm;
	int semume;
	int semusz;
	int semvmx;
	int semaem;
};

struct sembuf {
	unsigned short sem_num;
	short sem_op;
	short sem_flg;
};

_Static_assert(sizeof(struct ipc64_perm) == 48, "ipc64_perm ABI");
_Static_assert(sizeof(struct shmid64_ds) == 112, "shmid64_ds ABI");
_Static_assert(sizeof(struct msqid64_ds) == 120, "msqid64_ds ABI");
#if defined(__x86_64__)
_Static_assert(sizeof(struct semid64_ds) == 104, "semid64_ds ABI");
#else
_Static_assert(sizeof(struct semid64_ds) == 88, "semid64_ds ABI");
#endif
_Static_assert(sizeof(struct sembuf) == 6, "sembuf ABI");

/* Linux's default limits. */
#define IPCMNI 32768 /* slots per kind; ids are seq * IPCMNI + index */
#define SHMMIN 1
#define SHMMNI 4096
#define SHMMAX (~0UL - (1UL << 24))
#define SHMALL (~0UL - (1UL << 24))
#define SHMSEG SHMMNI
#define MSGMNI 32000
#define MSGMAX 8192
#define MSGMNB 16384
#define MSGPOOL (MSGMNI * MSGMNB / 1024)
#define MSGTQL MSGMNB
#define MSGMAP MSGMNB
#define MSGSSZ 16
#define MSGSEG 0xffff
#define SEMMNI 32000
#define SEMMSL 32000
#define SEMMNS (SEMMNI * SEMMSL)
#define SEMOPM 500
#define SEMVMX 32767
#define SEMAEM SEMVMX
#define SEMUME SEMOPM
#define SEMMNU SEMMNS
#define SEMMAP SEMMNS
#define SEMUSZ 20
