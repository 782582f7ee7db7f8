/*
 * sysfuzz: Ferrite's random system-call fuzzer (see docs/reliability.md).
 *
 * The pieces:
 *   calls.c    the description table: every implemented syscall with the
 *              kind of each argument, and the calls left out and why
 *   args.c     argument generation from a kind (descriptors, sizes, flag
 *              sets plus random bits, good and bad user pointers, ids)
 *   child.c    one sequence: set up resources, run the calls, record
 *              progress in a page shared with the parent; trace the
 *              calls with /dev/kcov on a coverage kernel
 *   prog.c     programs: fresh ones from (seed, sequence), mutations of
 *              corpus programs, their one-line text form
 *   checks.c   after a batch: stray processes, scratch files and System V
 *              objects removed, the kernel's leak counters compared
 *   failnth.c  the fail-nth sweep (--fail-nth K): one call of a short
 *              program run with its 1st, 2nd... fault-injectable kernel
 *              operation failed (/proc/thread-self/fail-nth), as syzkaller
 *   sysfuzz.c  the driver: seeds, batches, time limits, hang and leak
 *              reports, the replay mode; pid 1 mode powers off at the end
 *
 * Everything a fresh sequence does follows from (seed, sequence number)
 * through one deterministic PRNG, so `sysfuzz --seed S --seq N --replay`
 * runs the same sequence again and prints each call (a mutated one is
 * printed as a program and replayed with --prog-file). Single-threaded; the child and
 * the parent share only struct shared (a MAP_SHARED page), which the child
 * writes and the parent reads.
 */
#ifndef SYSFUZZ_H
#define SYSFUZZ_H

#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define MAX_ARGS 6

/* What an argument is; args.c turns a kind into a value. */
enum arg_kind {
	A_NONE,
	A_INT,		/* small integers, edge values, random bits */
	A_FD,		/* a descriptor from the pool, or a bad one */
	A_DIRFD,	/* a directory descriptor, AT_FDCWD, or any descriptor */
	A_PORTFD,	/* a port descriptor (or any descriptor) */
	A_BUF,		/* a user pointer of any class (valid, NULL, unmapped...) */
	A_OUTBUF,	/* same, but mostly valid: the kernel writes there */
	A_LEN,		/* a size: 0, 1, small, a page, huge, negative */
	A_PATH,		/* a path that may name a system file (read-only use) */
	A_WPATH,	/* a path under the scratch directory (created/removed) */
	A_FLAGS,	/* bits of the argument's flag set plus random bits */
	A_ENUM,		/* one value of the argument's set, sometimes junk */
	A_MODE,		/* file mode bits */
	A_OFFSET,	/* a file offset */
	A_SIGNO,	/* a signal number (valid, 0, rt, out of range) */
	A_PID,		/* self, a child of ours, 0, a pid that does not exist */
	A_KILLPID,	/* as A_PID plus our own group; never 1, -1 or others' */
	A_UID,		/* 0, 65534, -1, random */
	A_TIMESPEC,	/* a pointer to a short timeout, or a bad pointer */
	A_SIGSET,	/* a pointer to a signal set */
	A_SIGSETSIZE,	/* 8 mostly */
	A_SIGACTION,	/* a pointer to a struct sigaction (benign handler) */
	A_IOVEC,	/* a pointer to an iovec array into the arena */
	A_IOVCNT,	/* count of the iovec */
	A_POLLFD,	/* a pointer to pollfds from the pool */
	A_FDSET,	/* a pointer to an fd_set */
	A_NFDS,		/* poll/select count */
	A_ADDR,		/* an address in the arena (mmap, munmap, mprotect...) */
	A_MAPLEN,	/* a mapping length */
	A_FUTEX,	/* a futex word (arena), or a bad pointer */
	A_IPCKEY,	/* IPC_PRIVATE, a fixed key, random */
	A_SHMID, A_MSQID, A_SEMID, /* ids we created, or junk */
	A_SEMBUF,	/* a pointer to sembufs */
	A_MSGBUF,	/* a pointer to a message (long type + text) */
	A_PORTNAME,	/* a port name string */
	A_PORTMSG,	/* a pointer to a struct ferrite_port_msg */
	A_CLONEFLAGS,	/* clone flags: real bits, junk, sometimes another exit signal */
	A_RLIMIT_RES,	/* a resource number, sometimes junk */
	A_RLIMIT,	/* a pointer to a struct rlimit */
	A_ARGV,		/* a pointer to a string vector */
	A_STACK_T,	/* a pointer to a stack_t */
	A_CPUSET,	/* a pointer to a CPU mask */
	A_SHMADDR,	/* an address we attached a segment at, or junk */
	A_TOKEN,	/* a port reply token */
	A_MSECS,	/* a timeout in milliseconds (poll) */
	A_MSGHDR,	/* a pointer to a struct msghdr: iovecs into the arena and,
			 * mostly, SCM_RIGHTS of pool descriptors (sockets too) */
	A_INETADDR,	/* a pointer to a sockaddr_in/sockaddr_in6: loopback,
			 * wildcard or unroutable, a few fixed ports */
	A_KINDS
};

/* Flag and value sets for A_FLAGS and A_ENUM (args.c). */
enum set_id {
	S_NONE,
	S_OPEN, S_AT, S_PROT, S_MAP, S_MSYNC, S_MADV, S_WAIT, S_IPC, S_MSGFLG,
	S_SHMFLG, S_PIPE, S_DUP3, S_GRND, S_RENAME, S_STATX, S_POLL, S_CLOCK,
	S_TIMER, S_PORT, S_WHENCE, S_FCNTL, S_IOCTL, S_PRCTL, S_FUTEX, S_IPCCMD,
	S_SEMCMD, S_SHMCMD, S_SIGHOW, S_ACCESS, S_ARCHPRCTL, S_WAITID, S_SOCKFAM, S_SOCKTYPE, S_SETS
};

enum call_flags {
	RET_FD = 1 << 0,	/* a non-negative result is a new descriptor */
	RET_PIPE = 1 << 1,	/* arg 0 received two descriptors */
	RET_SHMID = 1 << 2,
	RET_MSQID = 1 << 3,
	RET_SEMID = 1 << 4,
	RET_ADDR = 1 << 5,	/* a mapping (mmap) */
	RET_SHMADDR = 1 << 6,	/* shmat */
	RET_PID = 1 << 7,	/* a child process */
	CHILD_EXITS = 1 << 8,	/* fork-like: the new task exits at once */
	RARE = 1 << 9,		/* picked a tenth as often */
	VALID_PTRS = 1 << 10,	/* pointer arguments always valid */
	RET_TOKEN = 1 << 11,	/* a port receive: keep the token it got */
};

struct call {
	const char *name;
	long nr;
	unsigned flags;
	unsigned char kind[MAX_ARGS];
	unsigned char set[MAX_ARGS];	/* for A_FLAGS/A_ENUM */
};

extern const struct call calls[];
extern const unsigned ncalls;

/* The PRNG: splitmix64, one state per sequence. */
struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A number in [0, n). */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

/* True with probability 1/n. */
static inline bool rng_one_in(struct rng *r, uint64_t n)
{
	return rng_below(r, n) == 0;
}

/* The state of one sequence: its resources, in the child. */
#define POOL_MAX 48
#define ARENA_PAGES 32
struct pool {
	int fds[POOL_MAX];
	int nfds;
	int dirfds[8], ndirfds;
	int portfds[8], nportfds;
	int shmids[8], nshmids;
	int msqids[8], nmsqids;
	int semids[8], nsemids;
	uintptr_t shmaddrs[8];
	int nshmaddrs;
	pid_t pids[8];
	int npids;
	pid_t sleeper;		/* a child that sleeps, for wait/kill */
	char *arena;		/* ARENA_PAGES read-write pages */
	char *rodata;		/* one read-only page */
	char *hole;		/* one unmapped page right after the arena */
	char scratch[64];	/* the sequence's directory */
	unsigned long tokens[4];
	uintptr_t maps[8];	/* mmap results */
	int nmaps;
	uintptr_t brk0;		/* the break at setup */
};

/*
 * A program: what one sequence runs. setup_seed drives the resource setup
 * and the second thread; each call is a table index and the seed of its
 * arguments. A fresh program follows from (seed, sequence number); the
 * coverage guidance (prog.c) mutates programs of the corpus instead:
 * splicing two, new argument seeds for some calls, inserting, replacing
 * or removing calls.
 */
#define PROG_MAX 256
struct prog_call {
	uint32_t idx;
	uint64_t seed;
};
struct prog {
	uint64_t setup_seed;
	uint32_t n;
	uint32_t mutated;	/* 0: fresh from (seed, seq), replayable by them */
	int32_t fault_call;	/* the call run with fail-nth armed, -1: none */
	uint32_t fault_nth;	/* ... and the operation of it that fails */
	struct prog_call c[PROG_MAX];
};

/* The page the child shares with the parent (created by the parent). */
#define COVER_CALLS 256
struct shared {
	volatile uint32_t seq;		/* the sequence running */
	volatile uint32_t call;		/* its call number, for the stall check */
	volatile uint32_t calls_done;	/* calls made by this child */
	volatile uint32_t setup_done;	/* 1 once resources are set up */
	volatile uint32_t call_idx;	/* the running call's table index */
	volatile uint32_t main_done;	/* calls of the program finished */
	volatile uint32_t kcov_on;	/* the child traces its calls with kcov */
	volatile uint32_t fault_state;	/* enum fault_state: the fail-nth call */
	/* Signal this child found first: new kernel PCs and edges (kcov),
	 * new (syscall, result) pairs. */
	volatile uint32_t new_pcs, new_edges, new_outcomes;
	/* Coverage: per call, a bit per outcome (0 success, 1..63 errno). */
	volatile uint64_t outcomes[COVER_CALLS];
};

/* The kcov coverage maps (shared with the children): a bit per hashed
 * kernel PC and per hashed edge (previous PC, PC), as AFL does. */
#define COV_BITS 20
#define COV_WORDS ((1u << COV_BITS) / 64)
struct covmap {
	uint64_t pcs[COV_WORDS];
	uint64_t edges[COV_WORDS];
};

struct options {
	uint64_t seed;
	long seq;		/* --seq N: one sequence only */
	bool replay;		/* print every call */
	int calls_per_seq;
	int seq_timeout_ms;	/* a sequence's whole time */
	int stall_ms;		/* no progress for this long: end the sequence */
	int kill_deadline_ms;	/* SIGKILLed task gone by then, else "slow" */
	int hang_ms;		/* ... and a hang when not gone by then */
	int seconds;		/* the run's time (all seeds) */
	int batch;		/* sequences between checks */
	bool leak_checks;
	bool drop_privileges;	/* not pid 1: children run as nobody */
	bool guide;		/* mutate the corpus too (--no-guide: generate only) */
	bool kcov;		/* trace calls with /dev/kcov when there is one */
	const char *prog_file;	/* --prog-file: the program of --seq N */
	int fail_nth;		/* --fail-nth K: sweeps of fail-nth 1..K (failnth.c) */
	int sweep_calls;	/* --sweep-calls N: a sweep program's length */
	int fault_nth;		/* --fault-nth N: --seq N of a sweep, with this nth */
	uint32_t from_seq;	/* --from-seq N: a seed's first sequence number */
	uint64_t seeds[32];
	int nseeds;
};

/* args.c */
/* Generate one argument; a short description of it goes to note. */
uint64_t arg_generate(struct rng *r, struct pool *p, int kind, int set, bool valid_only,
		      char *note, size_t len);
const char *kind_name(int kind);
void benign_handler(int sig);

/* child.c */
void child_run(const struct options *o, const struct prog *pg, uint32_t seq, struct shared *sh,
	       struct covmap *cov);
uint64_t seq_seed(uint64_t seed, uint32_t seq);

/* prog.c */
unsigned pick_call(struct rng *r);
void prog_generate(struct prog *p, uint64_t seed, uint32_t seq, int ncalls);
/* Mutate p (a corpus copy); other is a second corpus program to splice. */
void prog_mutate(struct prog *p, const struct prog *other, struct rng *r, int max_calls);
/* One line: "SETUP IDX:SEED ..." (call names resolved on reading). */
void prog_print(const struct prog *p, const char *prefix);
int prog_parse(struct prog *p, const char *text);

/* failnth.c */
enum fault_state {
	FAULT_NOT_REACHED,	/* the child never made the call */
	FAULT_NOT_FIRED,	/* the call made fewer operations than fault_nth */
	FAULT_FIRED,		/* its fault_nth-th operation failed */
	FAULT_UNAVAILABLE,	/* no /proc/thread-self/fail-nth */
};
/* The program of sweep seq: fresh, o->sweep_calls calls, the last one
 * table entry seq % ncalls and the one fail-nth is armed for. */
void sweep_prog(struct prog *pg, const struct options *o, uint64_t seed, uint32_t seq);
/* In the child: arm fail-nth n for the next call (-1: cannot), and after
 * it, the state to report (reads and disarms). */
int failnth_arm(uint32_t n);
enum fault_state failnth_result(int fd);
/* In the parent: one sweep's result, and the totals for the log. */
void sweep_note(unsigned idx, unsigned fired, bool cut_at_max);
void sweep_report(int max);

/* checks.c */
#define COUNTERS_MAX 32
struct counters {
	int n;
	char name[COUNTERS_MAX][32];
	unsigned long long value[COUNTERS_MAX];
};
bool counters_read(struct counters *c);
int counters_diff(const struct counters *a, const struct counters *b, char *why, size_t len);
int kill_strays(int deadline_ms, char *why, size_t len);
void remove_tree(const char *path);
void remove_ipc(void);
double now_ms(void);

#define SCRATCH_ROOT "/tmp/sysfuzz"

#endif
