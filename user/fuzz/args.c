/*
 * Argument generation: turns an argument kind (sysfuzz.h) into a value,
 * drawing from the sequence's PRNG and its resource pool. Structures the
 * kernel reads (timespecs, iovecs, sigactions, messages...) are built in
 * the arena, the sequence's own read-write pages, so valid pointers point
 * there and the kernel never writes over the fuzzer's own state. Each
 * value gets a short note for the replay log.
 */
#include "sysfuzz.h"
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <stdarg.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "../../include/uapi/ferrite_port.h"

#define PAGE 4096ul
#define ARENA_SIZE (ARENA_PAGES * PAGE)

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Flag sets: bits that are OR-ed together. Enumerations: one value. */
struct set {
	const long *v;
	unsigned n;
	bool is_enum;
	bool no_junk;	/* never add unknown bits (known defects, calls.c) */
	long usual;	/* a bit present three times in four (non-blocking) */
};

#define BITS(name, ...) static const long name[] = { __VA_ARGS__ }

BITS(open_bits, O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK,
     O_DSYNC, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_SYNC, O_NOATIME);
BITS(at_bits, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_EMPTY_PATH, AT_EACCESS);
BITS(prot_bits, PROT_READ, PROT_WRITE, PROT_EXEC);
BITS(map_bits, MAP_SHARED, MAP_PRIVATE, MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS, MAP_ANONYMOUS,
     MAP_NORESERVE, MAP_POPULATE, MAP_GROWSDOWN, MAP_STACK, MAP_FIXED_NOREPLACE);
BITS(msync_bits, MS_ASYNC, MS_SYNC, MS_INVALIDATE);
BITS(madv_vals, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED,
     MADV_FREE, MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK, MADV_HUGEPAGE, 100);
BITS(wait_bits, WNOHANG, WNOHANG, WNOHANG, WUNTRACED, WCONTINUED, WEXITED, WSTOPPED, WNOWAIT,
     __WALL, __WCLONE);
BITS(ipc_bits, IPC_CREAT, IPC_CREAT, IPC_EXCL, IPC_NOWAIT, 0600, 0044, 0111);
BITS(msgflg_bits, IPC_NOWAIT, IPC_NOWAIT, MSG_NOERROR, MSG_EXCEPT, 040000 /* MSG_COPY */);
BITS(shmflg_bits, SHM_RDONLY, SHM_RND, 040000 /* SHM_REMAP */, 0100000 /* SHM_EXEC */);
BITS(pipe_bits, O_CLOEXEC, O_NONBLOCK, O_NONBLOCK, O_DIRECT);
BITS(dup3_bits, O_CLOEXEC);
BITS(grnd_bits, 1, 2, 4);
BITS(rename_bits, 1, 2, 4);
BITS(statx_bits, 0x1, 0x2, 0x4, 0x7ff, 0x800, 0x1000);
BITS(poll_bits, POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, POLLWRNORM);
BITS(clock_vals, CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
     CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
     CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, 8, 9, 11, 16, -1, -6);
BITS(timer_bits, TIMER_ABSTIME);
BITS(port_bits, FERRITE_PORT_NONBLOCK, FERRITE_PORT_NONBLOCK, FERRITE_PORT_CLOEXEC);
BITS(whence_vals, SEEK_SET, SEEK_CUR, SEEK_END, 3, 4, 5);
BITS(fcntl_vals, F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_SETFL, F_GETLK, F_SETLK,
     F_SETOWN, F_GETOWN, F_SETSIG, F_GETSIG, F_DUPFD_CLOEXEC, F_SETPIPE_SZ, F_GETPIPE_SZ,
     F_GETOWN_EX, 1033 /* F_ADD_SEALS */, 1034 /* F_GET_SEALS */, 1024 /* F_SETLEASE */);
BITS(ioctl_vals, FIONREAD, TCGETS, TCGETS, TCSETS, TCSETSW, TCSETSF, TCFLSH, TIOCGWINSZ, TIOCSWINSZ,
     TIOCGPGRP, TIOCSPGRP, TIOCGSID, TIOCSCTTY, TIOCNOTTY, FIONBIO, FIOCLEX, FIONCLEX,
     FIOASYNC, TIOCOUTQ, 0x5401 + 0x100, 0xc0045401);
BITS(prctl_vals, PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE,
     PR_SET_NAME, PR_GET_NAME, PR_SET_NAME, PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER,
     PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS, PR_GET_TID_ADDRESS, PR_SET_TIMERSLACK,
     PR_CAPBSET_READ, 0, 1000);
BITS(futex_vals, FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP,
     FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET, FUTEX_WAIT | FUTEX_PRIVATE_FLAG,
     FUTEX_WAKE | FUTEX_PRIVATE_FLAG, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME,
     FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_FD, 14);
BITS(ipccmd_vals, IPC_RMID, IPC_SET, IPC_STAT, IPC_STAT, IPC_INFO, MSG_STAT, MSG_INFO, 13,
     IPC_STAT | 0x100, 99);
BITS(semcmd_vals, IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO, GETPID, GETVAL, GETALL, GETNCNT,
     GETZCNT, SETVAL, SETVAL, SETALL, SEM_STAT, SEM_INFO, 20, 99);
BITS(shmcmd_vals, IPC_RMID, IPC_SET, IPC_STAT, IPC_STAT, IPC_INFO, SHM_LOCK, SHM_UNLOCK,
     SHM_STAT, SHM_INFO, 15, 99);
BITS(sighow_vals, SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK, 3);
BITS(access_bits, R_OK, W_OK, X_OK);
BITS(archprctl_vals, 0x1001, 0x1003, 0x1003, 0x1004, 0x1004, 0x1011, 0x1012, 0x1002, 0);
BITS(sockfam_vals, AF_UNIX, AF_INET, AF_INET, AF_INET6, AF_INET6, AF_NETLINK);
BITS(socktype_vals, SOCK_STREAM, SOCK_STREAM, SOCK_DGRAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW,
     SOCK_STREAM | SOCK_NONBLOCK, SOCK_DGRAM | SOCK_NONBLOCK);
BITS(waitid_vals, 0 /* P_ALL */, 1 /* P_PID */, 2 /* P_PGID */, 3 /* P_PIDFD */, 7);

#define SET(a) { a, N(a), false, false }
#define ENUMSET(a) { a, N(a), true, false }
static const struct set sets[S_SETS] = {
	[S_OPEN] = { open_bits, N(open_bits), false, false },
	[S_AT] = SET(at_bits),
	[S_PROT] = SET(prot_bits),
	[S_MAP] = SET(map_bits),
	[S_MSYNC] = SET(msync_bits),
	[S_MADV] = ENUMSET(madv_vals),
	[S_WAIT] = { wait_bits, N(wait_bits), false, false, WNOHANG },
	[S_IPC] = SET(ipc_bits),
	[S_MSGFLG] = { msgflg_bits, N(msgflg_bits), false, false, IPC_NOWAIT },
	[S_SHMFLG] = SET(shmflg_bits),
	[S_PIPE] = SET(pipe_bits),
	[S_DUP3] = SET(dup3_bits),
	[S_GRND] = SET(grnd_bits),
	[S_RENAME] = SET(rename_bits),
	[S_STATX] = SET(statx_bits),
	[S_POLL] = SET(poll_bits),
	[S_CLOCK] = ENUMSET(clock_vals),
	[S_TIMER] = SET(timer_bits),
	[S_PORT] = { port_bits, N(port_bits), false, false, FERRITE_PORT_NONBLOCK },
	[S_WHENCE] = ENUMSET(whence_vals),
	[S_FCNTL] = ENUMSET(fcntl_vals),
	[S_IOCTL] = ENUMSET(ioctl_vals),
	[S_PRCTL] = ENUMSET(prctl_vals),
	[S_FUTEX] = ENUMSET(futex_vals),
	[S_IPCCMD] = ENUMSET(ipccmd_vals),
	[S_SEMCMD] = ENUMSET(semcmd_vals),
	[S_SHMCMD] = ENUMSET(shmcmd_vals),
	[S_SIGHOW] = ENUMSET(sighow_vals),
	[S_ACCESS] = SET(access_bits),
	[S_ARCHPRCTL] = ENUMSET(archprctl_vals),
	[S_SOCKFAM] = ENUMSET(sockfam_vals),
	[S_SOCKTYPE] = ENUMSET(socktype_vals),
	[S_WAITID] = ENUMSET(waitid_vals),
};

/* Kernel-half addresses of both architectures' layouts. */
static const uint64_t kernel_addrs[] = {
	0xffffffff80000000ull, 0xffffffff80200000ull, 0xffff800000000000ull,
	0xffffffc000000000ull, 0xffff888000000000ull, 0xfffffffffffff000ull,
};

static int note_to(char *note, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int note_to(char *note, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(note, len, fmt, ap);
	va_end(ap);
	return n;
}

/* Room for an object of size n in the arena, 8-aligned. */
static char *arena_alloc(struct rng *r, struct pool *p, size_t n)
{
	if (n >= ARENA_SIZE)
		n = ARENA_SIZE - 8;
	return p->arena + (rng_below(r, ARENA_SIZE - n) & ~7ul);
}

static void fill_random(struct rng *r, void *buf, size_t n)
{
	unsigned char *b = buf;
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)rng_next(r);
}

/*
 * A pointer of any class. valid_pct: how often it points into the arena
 * with room for need bytes; otherwise a bad one (NULL, unmapped, kernel
 * half, unaligned, straddling into the unmapped page, read-only...).
 */
static uint64_t pointer(struct rng *r, struct pool *p, size_t need, int valid_pct, char *note,
			size_t len)
{
	if ((int)rng_below(r, 100) < valid_pct) {
		char *q = arena_alloc(r, p, need);
		note_to(note, len, "arena+%#lx", (unsigned long)(q - p->arena));
		return (uintptr_t)q;
	}
	switch (rng_below(r, 10)) {
	case 0:
		note_to(note, len, "NULL");
		return 0;
	case 1:
		note_to(note, len, "unmapped");
		return (uintptr_t)p->hole + rng_below(r, PAGE);
	case 2: {
		uint64_t k = kernel_addrs[rng_below(r, N(kernel_addrs))] + (rng_below(r, 64) << 12);
		note_to(note, len, "kernel");
		return k;
	}
	case 3: {
		char *q = arena_alloc(r, p, need + 8) + 1 + rng_below(r, 7);
		note_to(note, len, "unaligned arena+%#lx", (unsigned long)(q - p->arena));
		return (uintptr_t)q;
	}
	case 4:
	case 5: {
		/* Straddles the end of the arena into the unmapped page. */
		size_t back = 1 + rng_below(r, need ? need : 16);
		note_to(note, len, "straddling (%zu bytes mapped)", back);
		return (uintptr_t)p->hole - back;
	}
	case 6:
		note_to(note, len, "read-only");
		return (uintptr_t)p->rodata + (rng_below(r, PAGE / 8) * 8);
	case 7:
		note_to(note, len, "low");
		return rng_below(r, 65536);
	case 8:
		note_to(note, len, "non-canonical");
		return 0x0000800000000000ull + (rng_below(r, 1 << 20) << 12);
	default:
		note_to(note, len, "random");
		return rng_next(r) & (rng_one_in(r, 2) ? 0x00007fffffffffffull : ~0ull);
	}
}

static const char *const system_paths[] = {
	"/", "/proc", "/proc/self/status", "/proc/ferrite/counters", "/proc/self/stat",
	"/proc/self/cmdline", "/proc/self", "/dev/null", "/dev", "/tmp", "/proc/uptime",
	"/proc/meminfo", "/proc/self/fd", "/nonexistent/x", "", ".", "..", "/proc/self/comm",
	"/proc/version",
};

static const char *const scratch_names[] = {
	"f0", "f1", "f2", "d0", "d1", "d0/f0", "d0/d2", "d0/d2/f3", "l0", "l1", "elf", "p0",
	"new0", "new1", "d1/new2", "d0/../f1", "f0/x", "l0/x", "d0/.", "",
};

/* A string placed in the arena; returns its address. */
static uint64_t put_string(struct rng *r, struct pool *p, const char *s)
{
	size_t n = strlen(s) + 1;
	char *q = arena_alloc(r, p, n);
	memcpy(q, s, n);
	return (uintptr_t)q;
}

static uint64_t long_path(struct rng *r, struct pool *p, char *note, size_t len)
{
	size_t n = rng_one_in(r, 2) ? 4200 : 300; /* past PATH_MAX, or a long component */
	char *q = arena_alloc(r, p, n + 1);
	for (size_t i = 0; i < n; i++)
		q[i] = (n == 4200 && i % 2) ? '/' : 'a';
	q[n] = '\0';
	note_to(note, len, "long path (%zu)", n);
	return (uintptr_t)q;
}

static uint64_t path(struct rng *r, struct pool *p, bool writable, bool valid_only, char *note,
		     size_t len)
{
	char buf[160];
	unsigned pick = rng_below(r, 100);

	if (pick < 8 && !valid_only)
		return pointer(r, p, 16, 0, note, len);
	if (pick < 11)
		return long_path(r, p, note, len);
	if (!writable && pick < 45)
		snprintf(buf, sizeof(buf), "%s", system_paths[rng_below(r, N(system_paths))]);
	else if (pick < 60)
		/* Relative: resolved against the directory descriptor or cwd. */
		snprintf(buf, sizeof(buf), "%s", scratch_names[rng_below(r, N(scratch_names))]);
	else
		snprintf(buf, sizeof(buf), "%s/%s", p->scratch,
			 scratch_names[rng_below(r, N(scratch_names))]);
	note_to(note, len, "\"%s\"", buf);
	return put_string(r, p, buf);
}

static uint64_t from_set(struct rng *r, int set, char *note, size_t len)
{
	const struct set *s = &sets[set];
	uint64_t v = 0;

	if (!s->n)
		return rng_below(r, 16);
	if (s->is_enum) {
		if (rng_one_in(r, 12)) {
			v = rng_one_in(r, 2) ? rng_below(r, 64) : (uint32_t)rng_next(r);
			note_to(note, len, "junk");
		} else {
			v = (uint64_t)s->v[rng_below(r, s->n)];
		}
		return v;
	}
	unsigned k = rng_below(r, 4);
	for (unsigned i = 0; i < k; i++)
		v |= (uint64_t)s->v[rng_below(r, s->n)];
	if (s->usual && !rng_one_in(r, 4))
		v |= (uint64_t)s->usual;
	if (!s->no_junk && rng_one_in(r, 10)) {
		v |= 1ull << rng_below(r, 32);
		note_to(note, len, "junk bit");
	}
	if (!s->no_junk && rng_one_in(r, 50)) {
		v = rng_next(r);
		note_to(note, len, "all junk");
	}
	return v;
}

static uint64_t size_value(struct rng *r)
{
	switch (rng_below(r, 12)) {
	case 0: return 0;
	case 1: return 1;
	case 2: case 3: return rng_below(r, 64);
	case 4: return PAGE;
	case 5: return PAGE + 1;
	case 6: case 7: return rng_below(r, 4 * PAGE);
	case 8: return ARENA_SIZE;
	case 9: return rng_one_in(r, 2) ? (1ull << 31) : (1ull << 62);
	case 10: return (uint64_t)-1 - rng_below(r, 8);
	default: return rng_below(r, 512);
	}
}

static int any_fd(struct rng *r, struct pool *p)
{
	if (p->nfds && rng_below(r, 100) < 85)
		return p->fds[rng_below(r, p->nfds)];
	switch (rng_below(r, 6)) {
	case 0: return -1;
	case 1: return (int)rng_below(r, 3);
	case 2: return (int)rng_below(r, 64);
	case 3: return 1 << 20;
	case 4: return AT_FDCWD;
	default: return (int)rng_next(r);
	}
}

static pid_t some_pid(struct rng *r, struct pool *p, bool for_kill)
{
	switch (rng_below(r, 8)) {
	case 0: return 0;
	case 1: case 2: return getpid();
	case 3: return p->sleeper;
	case 4: return p->npids ? p->pids[rng_below(r, p->npids)] : p->sleeper;
	case 5: return -getpid(); /* our own process group */
	case 6: return 99999;
	default: return for_kill ? getpid() : -1; /* kill(-1) would reach others */
	}
}

static uint64_t timespec_ptr(struct rng *r, struct pool *p, bool valid_only, char *note,
			     size_t len)
{
	if (!valid_only && rng_one_in(r, 6))
		return pointer(r, p, sizeof(struct timespec), 0, note, len);
	struct timespec *ts = (void *)arena_alloc(r, p, sizeof(*ts));
	switch (rng_below(r, 8)) {
	case 0: ts->tv_sec = 0; ts->tv_nsec = 0; break;
	case 1: ts->tv_sec = 0; ts->tv_nsec = 999999999 + rng_below(r, 3); break;
	case 2: ts->tv_sec = -1; ts->tv_nsec = 0; break;
	case 3:
		if (rng_one_in(r, 4)) {
			ts->tv_sec = (time_t)rng_next(r);
			ts->tv_nsec = (long)rng_next(r);
			break;
		}
		/* fall through */
	default: ts->tv_sec = 0; ts->tv_nsec = (long)rng_below(r, 2000); break;
	}
	note_to(note, len, "{%lld, %ld}", (long long)ts->tv_sec, ts->tv_nsec);
	return (uintptr_t)ts;
}

/* The signal return trampoline for SA_RESTORER handlers (x86_64 needs one). */
extern void fuzz_restorer(void);
#if defined(__x86_64__)
__asm__(".text\n.globl fuzz_restorer\nfuzz_restorer:\n\tmov $15, %eax\n\tsyscall\n\thlt\n");
#else
__asm__(".text\n.globl fuzz_restorer\nfuzz_restorer:\n\tli a7, 139\n\tecall\n\tebreak\n");
#endif

void benign_handler(int sig)
{
	(void)sig;
}

static uint64_t sigaction_ptr(struct rng *r, struct pool *p, char *note, size_t len)
{
	if (rng_one_in(r, 6))
		return pointer(r, p, 32, 0, note, len);
	/* The kernel's struct sigaction: handler, flags, (restorer), mask. */
	uint64_t *sa = (void *)arena_alloc(r, p, 32);
	uint64_t handler;
	switch (rng_below(r, 8)) {
	case 0: handler = (uintptr_t)SIG_DFL; break;
	case 1: case 2: handler = (uintptr_t)SIG_IGN; break;
	case 3: handler = rng_next(r); break;
	default: handler = (uintptr_t)benign_handler; break;
	}
	uint64_t flags = 0;
	static const uint64_t sa_bits[] = { SA_SIGINFO, SA_RESTART, SA_NODEFER, SA_RESETHAND,
					    SA_ONSTACK, SA_NOCLDSTOP, SA_NOCLDWAIT };
	for (unsigned i = rng_below(r, 3); i; i--)
		flags |= sa_bits[rng_below(r, N(sa_bits))];
	if (rng_one_in(r, 20))
		flags |= 1ull << rng_below(r, 32);
	sa[0] = handler;
#if defined(__x86_64__)
	sa[1] = flags | 0x04000000; /* SA_RESTORER */
	sa[2] = rng_one_in(r, 20) ? rng_next(r) : (uintptr_t)fuzz_restorer;
	sa[3] = rng_one_in(r, 2) ? 0 : rng_next(r);
#else
	sa[1] = flags;
	sa[2] = rng_one_in(r, 2) ? 0 : rng_next(r);
#endif
	note_to(note, len, "sigaction{%#llx, %#llx}", (unsigned long long)handler,
		(unsigned long long)flags);
	return (uintptr_t)sa;
}

uint64_t arg_generate(struct rng *r, struct pool *p, int kind, int set, bool valid_only,
		      char *note, size_t len)
{
	note[0] = '\0';
	switch (kind) {
	case A_NONE:
		return 0;
	case A_INT:
		switch (rng_below(r, 10)) {
		case 0: case 1: case 2: case 3: return rng_below(r, 64);
		case 4: return (uintptr_t)arena_alloc(r, p, 64);
		case 5: return rng_one_in(r, 2) ? 0x7fffffff : (uint64_t)-1;
		case 6: return PAGE;
		case 7: return 1ull << rng_below(r, 64);
		default: return rng_next(r);
		}
	case A_FD:
		return (uint64_t)(int64_t)any_fd(r, p);
	case A_DIRFD:
		/* Only the sequence's own directories (and /proc): a descriptor
		 * of "/" opened by an earlier call would let relative names
		 * create files outside the scratch directory. */
		switch (rng_below(r, 10)) {
		case 0: case 1: case 2: return (uint64_t)(int64_t)AT_FDCWD;
		case 8: return (uint64_t)(int64_t)(rng_one_in(r, 2) ? -1 : 1 << 20);
		case 9: return p->nfds ? (uint64_t)p->fds[0] : 0; /* a file: ENOTDIR */
		default:
			if (p->ndirfds)
				return (uint64_t)p->dirfds[rng_below(r, p->ndirfds)];
			return (uint64_t)(int64_t)AT_FDCWD;
		}
	case A_PORTFD:
		if (p->nportfds && rng_below(r, 100) < 70)
			return (uint64_t)p->portfds[rng_below(r, p->nportfds)];
		return (uint64_t)(int64_t)any_fd(r, p);
	case A_BUF: {
		uint64_t v = pointer(r, p, 64, valid_only ? 100 : 65, note, len);
		if (v >= (uintptr_t)p->arena && v < (uintptr_t)p->hole && rng_one_in(r, 2))
			fill_random(r, (void *)v, (uintptr_t)p->hole - v < 64 ? (uintptr_t)p->hole - v : 64);
		return v;
	}
	case A_OUTBUF:
		return pointer(r, p, 256, valid_only ? 100 : 80, note, len);
	case A_LEN:
		return size_value(r);
	case A_PATH:
		return path(r, p, false, valid_only, note, len);
	case A_WPATH:
		return path(r, p, true, valid_only, note, len);
	case A_FLAGS:
	case A_ENUM:
		return from_set(r, set, note, len);
	case A_MODE: {
		static const unsigned types[] = { S_IFREG, S_IFIFO, S_IFDIR, S_IFCHR, S_IFBLK,
						  S_IFSOCK, S_IFLNK };
		uint64_t m = rng_below(r, 010000);
		if (rng_one_in(r, 3))
			m |= types[rng_below(r, N(types))];
		if (rng_one_in(r, 20))
			m = rng_next(r);
		return m;
	}
	case A_OFFSET:
		switch (rng_below(r, 8)) {
		case 0: case 1: return 0;
		case 2: return rng_below(r, 8192);
		case 3: return PAGE;
		case 4: return 1ull << rng_below(r, 63);
		case 5: return (uint64_t)-1 - rng_below(r, PAGE);
		case 6: return 0x7fffffffffffffffull - rng_below(r, 8);
		default: return rng_below(r, 1 << 20);
		}
	case A_SIGNO:
		switch (rng_below(r, 10)) {
		case 0: return 0;
		case 1: return SIGKILL;
		case 2: return 32 + rng_below(r, 34);
		case 3: return rng_one_in(r, 2) ? 65 : (uint64_t)-1;
		default: return 1 + rng_below(r, 31);
		}
	case A_PID:
		return (uint64_t)(int64_t)some_pid(r, p, false);
	case A_KILLPID:
		return (uint64_t)(int64_t)some_pid(r, p, true);
	case A_UID:
		switch (rng_below(r, 6)) {
		case 0: case 1: return 0;
		case 2: return 1000;
		case 3: return 65534;
		case 4: return (uint32_t)-1;
		default: return (uint32_t)rng_next(r);
		}
	case A_TIMESPEC:
		return timespec_ptr(r, p, valid_only, note, len);
	case A_SIGSET: {
		if (!valid_only && rng_one_in(r, 6))
			return pointer(r, p, 8, 0, note, len);
		uint64_t *s = (void *)arena_alloc(r, p, 16);
		s[0] = rng_one_in(r, 3) ? 0 : (rng_one_in(r, 2) ? ~0ull : rng_next(r));
		s[1] = rng_next(r);
		return (uintptr_t)s;
	}
	case A_SIGSETSIZE:
		if (rng_below(r, 10) < 8)
			return 8;
		return (uint64_t[]){ 0, 4, 16, 128, (uint64_t)-1 }[rng_below(r, 5)];
	case A_SIGACTION:
		return sigaction_ptr(r, p, note, len);
	case A_IOVEC: {
		if (!valid_only && rng_one_in(r, 8))
			return pointer(r, p, 16, 0, note, len);
		struct iovec *v = (void *)arena_alloc(r, p, 8 * sizeof(*v));
		char sub[48];
		for (int i = 0; i < 8; i++) {
			v[i].iov_base = (void *)(uintptr_t)pointer(r, p, 512, valid_only ? 100 : 85,
								   sub, sizeof(sub));
			v[i].iov_len = rng_one_in(r, 10) ? size_value(r) : rng_below(r, 600);
		}
		note_to(note, len, "iovec[8] at arena+%#lx", (unsigned long)((char *)v - p->arena));
		return (uintptr_t)v;
	}
	case A_MSGHDR: {
		if (!valid_only && rng_one_in(r, 8))
			return pointer(r, p, 56, 0, note, len);
		struct msghdr *m = (void *)arena_alloc(r, p, sizeof(*m));
		struct iovec *v = (void *)arena_alloc(r, p, 2 * sizeof(*v));
		char sub[48];
		for (int i = 0; i < 2; i++) {
			v[i].iov_base = (void *)(uintptr_t)pointer(r, p, 64, 95, sub, sizeof(sub));
			v[i].iov_len = rng_below(r, 64);
		}
		*m = (struct msghdr){ .msg_iov = v, .msg_iovlen = 1 + rng_below(r, 2) };
		if (!rng_one_in(r, 4)) {
			unsigned n = 1 + rng_below(r, 3);
			size_t room = CMSG_SPACE(n * sizeof(int));
			char *ctl = arena_alloc(r, p, room);
			struct cmsghdr *c = (struct cmsghdr *)ctl;
			c->cmsg_len = CMSG_LEN(n * sizeof(int));
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = rng_one_in(r, 10) ? SCM_CREDENTIALS : SCM_RIGHTS;
			for (unsigned i = 0; i < n; i++) {
				int fd = any_fd(r, p);
				memcpy(CMSG_DATA(c) + i * sizeof(int), &fd, sizeof(fd));
			}
			m->msg_control = ctl;
			m->msg_controllen = rng_one_in(r, 10) ? rng_below(r, (unsigned)room + 8) : room;
		}
		note_to(note, len, "msghdr at arena+%#lx", (unsigned long)((char *)m - p->arena));
		return (uintptr_t)m;
	}
	case A_INETADDR: {
		if (!valid_only && rng_one_in(r, 8))
			return pointer(r, p, 28, 0, note, len);
		static const uint16_t ports[] = { 0, 7, 5555, 5556 };
		uint16_t port = htons(rng_one_in(r, 5) ? (uint16_t)rng_next(r)
						       : ports[rng_below(r, N(ports))]);
		if (rng_one_in(r, 2)) {
			struct sockaddr_in *a = (void *)arena_alloc(r, p, sizeof(*a));
			static const uint32_t addrs[] = { 0x7f000001, 0, 0x7f000002, 0x0a000001 };
			*a = (struct sockaddr_in){ .sin_family = rng_one_in(r, 8) ? AF_INET6 : AF_INET,
						   .sin_port = port };
			a->sin_addr.s_addr = htonl(addrs[rng_below(r, N(addrs))]);
			note_to(note, len, "sockaddr_in port %u", ntohs(port));
			return (uintptr_t)a;
		}
		struct sockaddr_in6 *a = (void *)arena_alloc(r, p, sizeof(*a));
		*a = (struct sockaddr_in6){ .sin6_family = rng_one_in(r, 8) ? AF_INET : AF_INET6,
					    .sin6_port = port };
		switch (rng_below(r, 3)) {
		case 0: a->sin6_addr = in6addr_loopback; break;
		case 1: a->sin6_addr = in6addr_any; break;
		default: /* ::ffff:127.0.0.1 */
			a->sin6_addr.s6_addr[10] = a->sin6_addr.s6_addr[11] = 0xff;
			a->sin6_addr.s6_addr[12] = 127;
			a->sin6_addr.s6_addr[15] = 1;
		}
		note_to(note, len, "sockaddr_in6 port %u", ntohs(port));
		return (uintptr_t)a;
	}
	case A_MSECS:
		switch (rng_below(r, 8)) {
		case 0: return (uint64_t)-1;
		case 1: return (uint64_t)rng_next(r);
		case 2: case 3: return 0;
		default: return rng_below(r, 3);
		}
	case A_IOVCNT:
	case A_NFDS:
		switch (rng_below(r, 10)) {
		case 0: return 0;
		case 1: return 1024;
		case 2: return 1025;
		case 3: return (uint64_t)-1;
		case 4: return 1ull << 31;
		default: return 1 + rng_below(r, 8);
		}
	case A_POLLFD: {
		if (!valid_only && rng_one_in(r, 8))
			return pointer(r, p, 8, 0, note, len);
		struct pollfd *f = (void *)arena_alloc(r, p, 8 * sizeof(*f));
		for (int i = 0; i < 8; i++) {
			f[i].fd = any_fd(r, p);
			f[i].events = (short)from_set(r, S_POLL, note, len);
		}
		note[0] = '\0';
		return (uintptr_t)f;
	}
	case A_FDSET: {
		if (rng_one_in(r, 4))
			return 0; /* NULL is a valid fd_set pointer */
		if (!valid_only && rng_one_in(r, 8))
			return pointer(r, p, 8, 0, note, len);
		uint64_t *s = (void *)arena_alloc(r, p, 128);
		for (int i = 0; i < 16; i++)
			s[i] = i == 0 ? rng_next(r) : (rng_one_in(r, 8) ? rng_next(r) : 0);
		return (uintptr_t)s;
	}
	case A_ADDR:
		switch (rng_below(r, 12)) {
		case 0: case 1: case 2: case 3:
			return (uintptr_t)p->arena + rng_below(r, ARENA_PAGES) * PAGE;
		case 4:
			if (p->nmaps)
				return p->maps[rng_below(r, p->nmaps)];
			return 0;
		case 5: return 0;
		case 6: return (uintptr_t)p->arena + rng_below(r, ARENA_SIZE);
		case 7: return (uintptr_t)p->hole;
		case 8: return p->brk0 + rng_below(r, 64) * PAGE - 16 * PAGE;
		default: return pointer(r, p, 0, 0, note, len);
		}
	case A_MAPLEN:
		switch (rng_below(r, 12)) {
		case 0: return 0;
		case 1: return 1 + rng_below(r, PAGE);
		case 2: return rng_one_in(r, 2) ? (1ull << 40) : (uint64_t)-PAGE;
		case 3: return ARENA_SIZE;
		case 4: return 1ull << (20 + rng_below(r, 5)); /* 1 MiB .. 16 MiB */
		default: return PAGE * (1 + rng_below(r, 8));
		}
	case A_FUTEX:
		if (rng_below(r, 10) < 7 || valid_only)
			return (uintptr_t)p->arena + 4 * rng_below(r, 4);
		return pointer(r, p, 4, 30, note, len);
	case A_IPCKEY:
		switch (rng_below(r, 4)) {
		case 0: case 1: return IPC_PRIVATE;
		case 2: return 0x46555a00 + rng_below(r, 4);
		default: return (uint32_t)rng_next(r);
		}
	case A_SHMID:
	case A_MSQID:
	case A_SEMID: {
		int *ids = kind == A_SHMID ? p->shmids : kind == A_MSQID ? p->msqids : p->semids;
		int n = kind == A_SHMID ? p->nshmids : kind == A_MSQID ? p->nmsqids : p->nsemids;
		if (n && rng_below(r, 10) < 8)
			return (uint64_t)ids[rng_below(r, n)];
		return (uint64_t[]){ 0, (uint64_t)-1, 1, 32768, (uint32_t)rng_next(r) }[rng_below(r, 5)];
	}
	case A_SEMBUF: {
		if (!valid_only && rng_one_in(r, 8))
			return pointer(r, p, 6, 0, note, len);
		struct sembuf *s = (void *)arena_alloc(r, p, 8 * sizeof(*s));
		for (int i = 0; i < 8; i++) {
			s[i].sem_num = rng_one_in(r, 10) ? (unsigned short)rng_next(r) : rng_below(r, 4);
			s[i].sem_op = rng_one_in(r, 10) ? (short)rng_next(r) : (short)rng_below(r, 5) - 2;
			s[i].sem_flg = (rng_one_in(r, 4) ? 0 : IPC_NOWAIT) | (rng_one_in(r, 3) ? SEM_UNDO : 0);
		}
		return (uintptr_t)s;
	}
	case A_MSGBUF: {
		if (!valid_only && rng_one_in(r, 6))
			return pointer(r, p, 16, 0, note, len);
		long *m = (void *)arena_alloc(r, p, 256);
		m[0] = rng_one_in(r, 8) ? (long)rng_next(r) : (long)rng_below(r, 4);
		fill_random(r, m + 1, 32);
		note_to(note, len, "msg type %ld", m[0]);
		return (uintptr_t)m;
	}
	case A_PORTNAME: {
		switch (rng_below(r, 10)) {
		case 0: return pointer(r, p, 8, 20, note, len);
		case 1: note_to(note, len, "\"\""); return put_string(r, p, "");
		case 2: note_to(note, len, "long name");
			return put_string(r, p, "fuzz-port-name-that-is-far-too-long-for-ports");
		default: {
			char buf[32];
			snprintf(buf, sizeof(buf), "fz%u.%u", (unsigned)getpid() % 7,
				 (unsigned)rng_below(r, 3));
			note_to(note, len, "\"%s\"", buf);
			return put_string(r, p, buf);
		}
		}
	}
	case A_PORTMSG: {
		if (!valid_only && rng_one_in(r, 8))
			return pointer(r, p, sizeof(struct ferrite_port_msg), 0, note, len);
		struct ferrite_port_msg *m = (void *)arena_alloc(r, p, sizeof(*m));
		char sub[48];
		m->type = (long)rng_below(r, 4);
		m->data = pointer(r, p, 256, valid_only ? 100 : 80, sub, sizeof(sub));
		m->size = rng_one_in(r, 8) ? size_value(r) : rng_below(r, 300);
		m->sender = 0;
		m->token = rng_one_in(r, 4) ? rng_next(r) : 0;
		note_to(note, len, "msg{data %s, size %lu}", sub, m->size);
		return (uintptr_t)m;
	}
	case A_TOKEN:
		switch (rng_below(r, 4)) {
		case 0: return 0;
		case 1: return rng_next(r);
		default: return p->tokens[rng_below(r, 4)];
		}
	case A_CLONEFLAGS: {
		static const uint64_t bits[] = { CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND,
						 CLONE_VFORK, CLONE_PARENT, CLONE_THREAD,
						 CLONE_SYSVSEM, CLONE_SETTLS, CLONE_PARENT_SETTID,
						 CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID,
						 CLONE_UNTRACED, CLONE_IO, CLONE_NEWNS, CLONE_PTRACE,
						 CLONE_DETACHED };
		uint64_t f = 0;
		for (unsigned i = rng_below(r, 5); i; i--)
			f |= bits[rng_below(r, N(bits))];
		if (rng_one_in(r, 20))
			f |= 1ull << (8 + rng_below(r, 24));
		/* Mostly SIGCHLD as the exit signal, sometimes another. */
		f = (f & ~0xffull) | (rng_one_in(r, 8) ? rng_below(r, 65) : SIGCHLD);
		return f;
	}
	case A_RLIMIT_RES: {
		uint64_t res;
		res = rng_one_in(r, 10) ? rng_next(r) : rng_below(r, 17);
		return res;
	}
	case A_RLIMIT: {
		if (rng_one_in(r, 6))
			return pointer(r, p, 16, 0, note, len);
		if (rng_one_in(r, 3))
			return 0;
		struct rlimit *l = (void *)arena_alloc(r, p, sizeof(*l));
		static const uint64_t vals[] = { 0, 1, 64, 4096, 1 << 20, RLIM_INFINITY };
		l->rlim_cur = vals[rng_below(r, N(vals))];
		l->rlim_max = rng_one_in(r, 2) ? RLIM_INFINITY : vals[rng_below(r, N(vals))];
		note_to(note, len, "{%llu, %llu}", (unsigned long long)l->rlim_cur,
			(unsigned long long)l->rlim_max);
		return (uintptr_t)l;
	}
	case A_ARGV: {
		if (rng_one_in(r, 4))
			return 0;
		if (rng_one_in(r, 5))
			return pointer(r, p, 16, 0, note, len);
		uint64_t *v = (void *)arena_alloc(r, p, 8 * 8);
		char sub[48];
		int n = rng_below(r, 7);
		for (int i = 0; i < n; i++)
			v[i] = rng_one_in(r, 6) ? pointer(r, p, 8, 0, sub, sizeof(sub))
						: put_string(r, p, "arg");
		v[n] = rng_one_in(r, 10) ? rng_next(r) : 0;
		return (uintptr_t)v;
	}
	case A_STACK_T: {
		if (rng_one_in(r, 3))
			return rng_one_in(r, 2) ? 0 : pointer(r, p, 24, 0, note, len);
		stack_t *s = (void *)arena_alloc(r, p, sizeof(*s));
		s->ss_sp = p->arena + rng_below(r, ARENA_PAGES / 2) * PAGE;
		s->ss_flags = (int[]){ 0, SS_DISABLE, SS_ONSTACK, 7 }[rng_below(r, 4)];
		s->ss_size = (size_t[]){ 0, 1024, MINSIGSTKSZ, 8 * PAGE, ARENA_SIZE * 4 }[rng_below(r, 5)];
		return (uintptr_t)s;
	}
	case A_CPUSET: {
		if (rng_one_in(r, 5))
			return pointer(r, p, 8, 0, note, len);
		uint64_t *m = (void *)arena_alloc(r, p, 128);
		m[0] = (uint64_t[]){ 0, 1, 2, ~0ull, rng_next(r) }[rng_below(r, 5)];
		return (uintptr_t)m;
	}
	case A_SHMADDR:
		switch (rng_below(r, 6)) {
		case 0: case 1:
			if (p->nshmaddrs)
				return p->shmaddrs[rng_below(r, p->nshmaddrs)];
			return 0;
		case 2: return 0;
		case 3: return (uintptr_t)p->arena + rng_below(r, ARENA_PAGES) * PAGE;
		default: return pointer(r, p, 0, 0, note, len);
		}
	}
	return rng_next(r);
}

static const char *const kind_names[A_KINDS] = {
	[A_NONE] = "none", [A_INT] = "int", [A_FD] = "fd", [A_DIRFD] = "dirfd",
	[A_PORTFD] = "portfd", [A_BUF] = "buf", [A_OUTBUF] = "outbuf", [A_LEN] = "len",
	[A_PATH] = "path", [A_WPATH] = "wpath", [A_FLAGS] = "flags", [A_ENUM] = "enum",
	[A_MODE] = "mode", [A_OFFSET] = "offset", [A_SIGNO] = "signo", [A_PID] = "pid",
	[A_KILLPID] = "killpid", [A_UID] = "uid", [A_TIMESPEC] = "timespec",
	[A_SIGSET] = "sigset", [A_SIGSETSIZE] = "sigsetsize", [A_SIGACTION] = "sigaction",
	[A_IOVEC] = "iovec", [A_IOVCNT] = "iovcnt", [A_POLLFD] = "pollfd", [A_FDSET] = "fdset",
	[A_NFDS] = "nfds", [A_ADDR] = "addr", [A_MAPLEN] = "maplen", [A_FUTEX] = "futex",
	[A_IPCKEY] = "ipckey", [A_SHMID] = "shmid", [A_MSQID] = "msqid", [A_SEMID] = "semid",
	[A_SEMBUF] = "sembuf", [A_MSGBUF] = "msgbuf", [A_PORTNAME] = "portname",
	[A_PORTMSG] = "portmsg", [A_CLONEFLAGS] = "cloneflags", [A_RLIMIT_RES] = "resource",
	[A_RLIMIT] = "rlimit", [A_ARGV] = "argv", [A_STACK_T] = "stack_t", [A_CPUSET] = "cpuset",
	[A_SHMADDR] = "shmaddr", [A_TOKEN] = "token", [A_MSECS] = "msecs",
	[A_MSGHDR] = "msghdr", [A_INETADDR] = "inetaddr",
};

const char *kind_name(int kind)
{
	return kind >= 0 && kind < A_KINDS && kind_names[kind] ? kind_names[kind] : "?";
}
