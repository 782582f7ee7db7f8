/*
 * One fuzz sequence, in a forked child: set up a pool of resources of every
 * kind (files, directories, pipes, ports, /dev/null, the console, procfs
 * files, System V objects, a sleeping child, the arena of user memory),
 * then make calls_per_seq calls chosen from the table with generated
 * arguments. Before each call the child stores its number in the shared
 * page, so the parent sees progress and can name the call that hung.
 *
 * The child never uses malloc or stdio after setup: its state lives in
 * static storage and on the stack, out of reach of the pointers it gives
 * the kernel (those point into the arena). Fork-like calls go through
 * raw_fork_call(), whose new task makes one exit syscall at once.
 */
#include "sysfuzz.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <grp.h>
#include <pthread.h>
#include <unistd.h>
#include "../../include/uapi/ferrite_port.h"

#define PAGE 4096ul

static struct pool pool;
static int log_fd = -1;
static uint64_t *kcov_area; /* kcov_start */

uint64_t seq_seed(uint64_t seed, uint32_t seq)
{
	struct rng r = { seed * 0x100000001b3ull + seq };
	rng_next(&r);
	return rng_next(&r);
}

/* A fork-like syscall whose new task exits at once (never returns in it). */
static long raw_fork_call(long nr, long a0, long a1, long a2, long a3, long a4)
{
	long ret;
#if defined(__x86_64__)
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "1:"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
#elif defined(__riscv)
	register long x_a0 __asm__("a0") = a0;
	register long x_a1 __asm__("a1") = a1;
	register long x_a2 __asm__("a2") = a2;
	register long x_a3 __asm__("a3") = a3;
	register long x_a4 __asm__("a4") = a4;
	register long x_a7 __asm__("a7") = nr;
	__asm__ volatile("ecall\n\t"
			 "bnez a0, 1f\n\t"
			 "li a7, 93\n\t"
			 "li a0, 0\n\t"
			 "ecall\n\t"
			 "1:"
			 : "+r"(x_a0)
			 : "r"(x_a1), "r"(x_a2), "r"(x_a3), "r"(x_a4), "r"(x_a7)
			 : "memory");
	ret = x_a0;
#else
#error "sysfuzz: unknown architecture"
#endif
	return ret;
}

static void log_str(const char *s)
{
	if (log_fd >= 0)
		(void)!write(log_fd, s, strlen(s));
}

static void add_int(int *a, int *n, int cap, int v, struct rng *r)
{
	if (*n < cap)
		a[(*n)++] = v;
	else
		a[rng_below(r, cap)] = v;
}

static void add_fd(int fd, struct rng *r)
{
	if (fd >= 0)
		add_int(pool.fds, &pool.nfds, POOL_MAX, fd, r);
}

static bool in_arena(uint64_t v, size_t n)
{
	return v >= (uintptr_t)pool.arena && v + n <= (uintptr_t)pool.hole;
}

/* A copy of our own binary with a few bytes changed: food for execve. */
static void make_mutated_elf(const char *exe, const char *dst, struct rng *r)
{
	static char buf[8192];
	int in = open(exe, O_RDONLY);
	if (in < 0)
		return;
	ssize_t n = read(in, buf, sizeof(buf));
	close(in);
	if (n <= 64)
		return;
	for (unsigned i = 1 + rng_below(r, 6); i; i--) {
		size_t at = rng_one_in(r, 2) ? rng_below(r, 64) : rng_below(r, (uint64_t)n);
		buf[at] = (char)rng_next(r);
	}
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (out < 0)
		return;
	(void)!write(out, buf, (size_t)(rng_one_in(r, 3) ? n / 2 : n));
	close(out);
}

static void setup(const char *exe, uint32_t seq, struct rng *r)
{
	char path[128];

	setpgid(0, 0);
	/* Signals we send ourselves are caught, so delivery gets exercised
	 * without ending the sequence; faults keep their default action. */
	for (int sig = 1; sig < 65; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP || sig == SIGSEGV || sig == SIGBUS ||
		    sig == SIGILL || sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS ||
		    sig == SIGABRT || sig == SIGCHLD || (sig >= 32 && sig <= 34))
			continue;
		signal(sig, benign_handler);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);

	/* Memory: the arena, an unmapped page after it, a read-only page.
	 * The arena sits in the middle of a 64 MiB reservation, so no
	 * mapping the calls make around it (16 MiB at most) reaches the
	 * page shared with the parent or the fuzzer's own memory. */
	size_t reserve = 64ul << 20;
	char *res = mmap(NULL, reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			 -1, 0);
	if (res == MAP_FAILED)
		_exit(3);
	char *a = mmap(res + reserve / 2, ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (a == MAP_FAILED)
		_exit(3);
	munmap(res, reserve / 2);
	munmap(a + ARENA_PAGES * PAGE, reserve / 2 - ARENA_PAGES * PAGE);
	pool.arena = a;
	pool.hole = a + ARENA_PAGES * PAGE;
	pool.rodata = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pool.rodata == MAP_FAILED)
		_exit(3);
	memset(pool.rodata, 0x5a, PAGE);
	mprotect(pool.rodata, PAGE, PROT_READ);
	pool.brk0 = (uintptr_t)syscall(SYS_brk, 0);

	/* Files: the scratch directory of this sequence. */
	snprintf(pool.scratch, sizeof(pool.scratch), "%s/%u", SCRATCH_ROOT, seq);
	mkdir(pool.scratch, 0755);
	if (chdir(pool.scratch) < 0)
		_exit(4);
	mkdir("d0", 0755);
	mkdir("d1", 0700);
	mkdir("d0/d2", 0755);
	int fd = open("f0", O_RDWR | O_CREAT, 0644);
	if (fd >= 0)
		(void)!write(fd, "sysfuzz scratch file\n", 21);
	add_fd(fd, r);
	close(open("f2", O_WRONLY | O_CREAT, 0600));
	symlink("f0", "l0");
	symlink("l1", "l1");
	mknod("p0", S_IFIFO | 0644, 0);
	make_mutated_elf(exe, "elf", r);
	add_fd(open("f2", O_RDONLY), r);
	add_fd(open("elf", O_RDONLY), r);

	int dfd = open(".", O_RDONLY | O_DIRECTORY);
	add_int(pool.dirfds, &pool.ndirfds, 8, dfd, r);
	add_fd(dfd, r);
	dfd = open("d0", O_RDONLY | O_DIRECTORY);
	add_int(pool.dirfds, &pool.ndirfds, 8, dfd, r);
	dfd = open("/proc", O_RDONLY | O_DIRECTORY);
	add_int(pool.dirfds, &pool.ndirfds, 8, dfd, r);
	add_fd(dfd, r);

	int p[2];
	if (pipe2(p, O_NONBLOCK) == 0) {
		add_fd(p[0], r);
		add_fd(p[1], r);
	}
	if (pipe(p) == 0) {
		add_fd(p[0], r);
		add_fd(p[1], r);
	}
	add_fd(open("/dev/null", O_RDWR), r);
	add_fd(open("/dev/console", O_RDONLY | O_NOCTTY | O_NONBLOCK), r);
	add_fd(open("/proc/self/status", O_RDONLY), r);
	add_fd(open("/proc/ferrite/counters", O_RDONLY), r);
	add_fd(open("/proc", O_RDONLY | O_DIRECTORY), r);

	/* Ports (Ferrite only: elsewhere these fail with ENOSYS). */
	snprintf(path, sizeof(path), "fz%u.%u", (unsigned)getpid() % 7, seq % 3);
	int port = (int)syscall(__NR_ferrite_port_create, path, 0);
	if (port >= 0) {
		add_int(pool.portfds, &pool.nportfds, 8, port, r);
		add_fd(port, r);
		int send = (int)syscall(__NR_ferrite_port_connect, path, 0);
		if (send >= 0) {
			add_int(pool.portfds, &pool.nportfds, 8, send, r);
			add_fd(send, r);
		}
	}

	/* System V objects (removed by the parent after the batch). */
	int id = shmget(IPC_PRIVATE, 2 * PAGE, IPC_CREAT | 0600);
	if (id >= 0) {
		add_int(pool.shmids, &pool.nshmids, 8, id, r);
		void *at = shmat(id, NULL, 0);
		if (at != (void *)-1)
			pool.shmaddrs[pool.nshmaddrs++] = (uintptr_t)at;
	}
	id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	if (id >= 0)
		add_int(pool.msqids, &pool.nmsqids, 8, id, r);
	id = semget(IPC_PRIVATE, 4, IPC_CREAT | 0600);
	if (id >= 0)
		add_int(pool.semids, &pool.nsemids, 8, id, r);

	/* A child that sleeps until it is killed: a target for wait and kill. */
	pid_t s = fork();
	if (s == 0) {
		for (;;)
			pause();
	}
	pool.sleeper = s > 0 ? s : 99998;
}

static const char *errno_name(long e)
{
	static char buf[16];
	const char *s = strerrorname_np((int)e);
	if (s)
		return s;
	snprintf(buf, sizeof(buf), "E%ld", e);
	return buf;
}

/* After a call: keep what it created for the calls that follow. */
static void harvest(const struct call *c, const uint64_t *a, long ret, struct rng *r)
{
	if (ret < 0)
		return;
	if (c->flags & RET_FD)
		add_fd((int)ret, r);
	if ((c->flags & RET_PIPE) && in_arena(a[0], 8)) {
		add_fd(((int *)(uintptr_t)a[0])[0], r);
		add_fd(((int *)(uintptr_t)a[0])[1], r);
	}
	if (c->flags & RET_SHMID)
		add_int(pool.shmids, &pool.nshmids, 8, (int)ret, r);
	if (c->flags & RET_MSQID)
		add_int(pool.msqids, &pool.nmsqids, 8, (int)ret, r);
	if (c->flags & RET_SEMID)
		add_int(pool.semids, &pool.nsemids, 8, (int)ret, r);
	if ((c->flags & RET_ADDR) && pool.nmaps < 8)
		pool.maps[pool.nmaps++] = (uintptr_t)ret;
	if ((c->flags & RET_SHMADDR) && pool.nshmaddrs < 8)
		pool.shmaddrs[pool.nshmaddrs++] = (uintptr_t)ret;
	if ((c->flags & RET_PID) && ret > 0)
		add_int(pool.pids, &pool.npids, 8, (int)ret, r);
	if (c->flags & RET_TOKEN) {
		uint64_t m = c->nr == __NR_ferrite_port_recv ? a[1] : a[3];
		if (in_arena(m, sizeof(struct ferrite_port_msg)))
			pool.tokens[rng_below(r, 4)] =
				((struct ferrite_port_msg *)(uintptr_t)m)->token;
	}
}

/* One call of table entry idx: generate its arguments from r, log, make
 * it (with fail-nth fault_nth armed when not 0), record the outcome. */
static void one_call(const struct options *o, uint32_t seq, uint32_t k, unsigned idx,
		     struct rng *r, struct shared *sh, uint32_t fault_nth)
{
	const struct call *c = &calls[idx];
	uint64_t a[MAX_ARGS] = { 0 };
	char notes[MAX_ARGS][64];
	bool valid = c->flags & VALID_PTRS;

	for (int i = 0; i < MAX_ARGS; i++)
		a[i] = c->kind[i] ? arg_generate(r, &pool, c->kind[i], c->set[i], valid, notes[i],
						 sizeof(notes[i]))
				  : 0;
	if (o->replay) {
		char line[1024];
		int n = snprintf(line, sizeof(line), "sysfuzz: %u.%u %s(", seq, k, c->name);
		for (int i = 0; i < MAX_ARGS && c->kind[i]; i++)
			n += snprintf(line + n, sizeof(line) - n, "%s%s=%#llx%s%s%s", i ? ", " : "",
				      kind_name(c->kind[i]), (unsigned long long)a[i],
				      notes[i][0] ? " [" : "", notes[i], notes[i][0] ? "]" : "");
		snprintf(line + n, sizeof(line) - n, ")");
		log_str(line);
	}
	int nth_fd = -1;
	if (fault_nth) {
		nth_fd = failnth_arm(fault_nth);
		sh->fault_state = nth_fd < 0 ? FAULT_UNAVAILABLE : FAULT_NOT_FIRED;
		if (kcov_area) /* trace the call, not the arming */
			__atomic_store_n(&kcov_area[0], 0, __ATOMIC_RELAXED);
	}
	sh->call_idx = idx;
	sh->call = k;
	long ret;
	if (c->flags & CHILD_EXITS) {
		ret = raw_fork_call(c->nr, (long)a[0], (long)a[1], (long)a[2], (long)a[3], (long)a[4]);
		if (ret < 0 && ret > -4096) {
			errno = (int)-ret;
			ret = -1;
		}
	} else {
		ret = syscall(c->nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	int e = ret == -1 ? errno : 0;
	if (nth_fd >= 0)
		sh->fault_state = failnth_result(nth_fd);
	__atomic_fetch_add(&sh->calls_done, 1, __ATOMIC_RELAXED);
	if (idx < COVER_CALLS) {
		uint64_t bit = 1ull << (e > 0 && e < 64 ? e : 0);
		if (!(sh->outcomes[idx] & bit)) {
			sh->outcomes[idx] |= bit;
			sh->new_outcomes++;
		}
	}
	if (o->replay) {
		char line[96];
		if (ret == -1)
			snprintf(line, sizeof(line), " = -1 %s\n", errno_name(e));
		else
			snprintf(line, sizeof(line), " = %#lx\n", ret);
		log_str(line);
	}
	if (ret != -1)
		harvest(c, a, ret, r);
	/* Memory calls may have unmapped or protected arena pages; mostly
	 * map them back, or every later argument written there would end
	 * the sequence with SIGSEGV. */
	if ((c->nr == SYS_munmap || c->nr == SYS_mprotect || c->nr == SYS_mmap ||
	     c->nr == SYS_shmat || c->nr == SYS_madvise) && ret != -1 && !rng_one_in(r, 4))
		mmap(pool.arena, ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

extern const char *sysfuzz_exe;

struct second {
	const struct options *o;
	uint32_t seq;
	struct shared *sh;
	struct rng r;
};

static void *second_thread(void *arg)
{
	struct second *s = arg;
	for (uint32_t k = 0; k < (uint32_t)s->o->calls_per_seq; k++)
		one_call(s->o, s->seq, 100000 + k, pick_call(&s->r), &s->r, s->sh, 0);
	return NULL;
}

/*
 * kcov (include/ferrite/kcov.h on Ferrite's coverage kernels, the same
 * ABI as Linux's debugfs file): the main thread's calls are traced, one
 * at a time, and their PCs and edges set bits in the maps shared with the
 * parent; a bit set first by this child counts as new signal.
 */
#define KCOV_INIT_TRACE 0x80086301ul
#define KCOV_ENABLE 0x6364ul
#define KCOV_WORDS (1ul << 16)

static void kcov_start(struct shared *sh)
{
	int fd = open("/dev/kcov", O_RDWR);
	if (fd < 0)
		fd = open("/sys/kernel/debug/kcov", O_RDWR);
	if (fd < 0)
		return;
	int high = fcntl(fd, F_DUPFD, 900); /* out of the way of the pool */
	close(fd);
	if (high < 0 || ioctl(high, KCOV_INIT_TRACE, KCOV_WORDS))
		return;
	void *a = mmap(NULL, KCOV_WORDS * 8, PROT_READ | PROT_WRITE, MAP_SHARED, high, 0);
	if (a == MAP_FAILED)
		return;
	if (ioctl(high, KCOV_ENABLE, 0))
		return;
	kcov_area = a;
	sh->kcov_on = 1;
}

static inline uint32_t cov_hash(uint64_t x)
{
	x *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(x >> (64 - COV_BITS));
}

static bool cov_set(uint64_t *map, uint32_t h)
{
	uint64_t bit = 1ull << (h % 64);
	if (map[h / 64] & bit)
		return false;
	map[h / 64] |= bit;
	return true;
}

static void kcov_collect(struct shared *sh, struct covmap *cov)
{
	uint64_t n = __atomic_load_n(&kcov_area[0], __ATOMIC_RELAXED);
	uint64_t prev = 0;
	if (n >= KCOV_WORDS)
		n = KCOV_WORDS - 1;
	for (uint64_t i = 1; i <= n; i++) {
		uint64_t pc = kcov_area[i];
		if (cov_set(cov->pcs, cov_hash(pc)))
			sh->new_pcs++;
		if (cov_set(cov->edges, cov_hash(pc ^ (prev << 13 | prev >> 51))))
			sh->new_edges++;
		prev = pc;
	}
}

void child_run(const struct options *o, const struct prog *pg, uint32_t seq, struct shared *sh,
	       struct covmap *cov)
{
	struct rng r = { pg->setup_seed };

	if (o->replay) {
		log_fd = fcntl(1, F_DUPFD, 200);
		char line[128];
		snprintf(line, sizeof(line), "sysfuzz: replay seq %u (setup %#llx, %u calls)\n", seq,
			 (unsigned long long)pg->setup_seed, pg->n);
		log_str(line);
	}
	if (o->drop_privileges && getuid() == 0) {
		/* On a real system, root could reach far (mknod, clocks). */
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(5);
	}
	setup(sysfuzz_exe, seq, &r);
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	sh->setup_done = 1;
	/* Every other sequence has a second thread making calls of its own
	 * on the same descriptors and memory, so the kernel sees one thread
	 * close, unmap or signal what another is sleeping in. Its calls are
	 * numbered from 100000 in the replay log; the interleaving is the
	 * scheduler's, so a replay of such a sequence may differ. */
	if (rng_one_in(&r, 2)) {
		static struct second second;
		second.o = o;
		second.seq = seq;
		second.sh = sh;
		second.r.s = rng_next(&r);
		pthread_t t;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_create(&t, &attr, second_thread, &second);
	}
	if (o->kcov && cov)
		kcov_start(sh);
	for (uint32_t k = 0; k < pg->n; k++) {
		struct rng cr = { pg->c[k].seed };
		if (kcov_area)
			__atomic_store_n(&kcov_area[0], 0, __ATOMIC_RELAXED);
		one_call(o, seq, k, pg->c[k].idx, &cr, sh,
			 (int32_t)k == pg->fault_call ? pg->fault_nth : 0);
		if (kcov_area)
			kcov_collect(sh, cov);
		sh->main_done = k + 1;
	}
	syscall(SYS_exit_group, 0);
	_exit(0);
}
