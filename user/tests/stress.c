/*
 * The SMP stress run (issue 11; `make stress`, a bounded part in `make
 * test` as the stress-ARCH suites): many processes and threads doing IPC
 * across CPUs at once, every transfer checked, then the kernel's leak
 * counters back to where they started.
 *
 * Usage: stress [SECONDS]  (or STRESS_SECONDS / stress_seconds= in the
 * environment, as the kernel command line passes it to init; default 20).
 * Workers, STRESS_COPIES of each (default 2), each a process whose two ends
 * are pinned to different CPUs where there are several:
 *   pipe      echo of varying-length blocks with FNV checksums over 2 pipes
 *   unix      the same over an AF_UNIX stream socketpair
 *   dgram     sequenced AF_UNIX datagrams, each checked and answered
 *   futex     two threads passing a turn word, a checksummed buffer between
 *   port      Ferrite port call/reply with checksums (Ferrite only)
 *   msg       SysV message queue request/reply with checksums
 *   semshm    SysV semaphore guarding a SysV shm record both processes
 *             rewrite; the final count equals the sum of both sides' ops
 *   signal    sigqueue ping-pong, each value checked by sigwaitinfo
 *   fork      three threads each forking children that touch memory and
 *             exit with a code the parent checks
 *   mm        threads mapping, filling, checking and unmapping their own
 *             memory in one mm (TLB shootdowns), plus thread create/join
 * A short warm-up round fills the caches that stay; then the counters of
 * /proc/ferrite/counters are read, the main round runs, and every counter
 * must come back (a few seconds of retries for asynchronous frees; more
 * free frames than at the start is fine, fewer is a leak). On
 * Linux the counter check is skipped. As pid 1 it powers off at the end.
 * Prints STRESS_OK or STRESS_FAIL last.
 */
#include "common.h"
#include "port_util.h"
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/reboot.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>

#define MAX_WORKERS 64
#define BLOCK_MAX 4096

static int ncpus = 1;
static double deadline;
static bool on_ferrite;

struct result {
	char name[24];
	long ops;
};
static struct result *results; /* shared with the workers (MAP_SHARED) */

static bool time_left(void)
{
	return monotonic_seconds() < deadline;
}

static unsigned fnv(const void *p, size_t n)
{
	return port_sum(p, n);
}

/* The pattern of block seq: deterministic, so both ends can check it. */
static void fill(unsigned char *buf, size_t len, unsigned seq)
{
	uint32_t x = seq * 2654435761u + 12345;
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345;
		buf[i] = (unsigned char)(x >> 16);
	}
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (ncpus < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu % ncpus, &set);
	CHECK(sched_setaffinity(0, sizeof(set), &set) == 0, "sched_setaffinity(%d)", cpu);
}

static bool read_full(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;
	while (len) {
		ssize_t r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p += r;
		len -= (size_t)r;
	}
	return true;
}

static void write_full(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	while (len) {
		ssize_t r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		CHECK(r > 0, "write %zu bytes", len);
		p += r;
		len -= (size_t)r;
	}
}

/* A partner that FAILs (exit, not _exit) takes its worker down with it,
 * so the round ends at once instead of waiting for a reply. */
static void partner_failed(void)
{
	kill(getppid(), SIGKILL);
}

static pid_t fork_partner(void)
{
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0)
		atexit(partner_failed);
	return pid;
}

static void reap(pid_t pid, const char *what)
{
	int status;
	CHECK(waitpid(pid, &status, 0) == pid, "%s: waitpid", what);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: partner status 0x%x", what,
	      status);
}

/* ---- pipe and AF_UNIX stream: header + block, echoed back inverted ---- */

struct hdr {
	unsigned seq, len, sum;
};

static void echo_server(int in, int out)
{
	static unsigned char buf[BLOCK_MAX];
	struct hdr h;

	while (read_full(in, &h, sizeof(h))) {
		CHECK(h.len <= BLOCK_MAX, "echo: length %u", h.len);
		CHECK(read_full(in, buf, h.len), "echo: short block %u", h.seq);
		CHECK(fnv(buf, h.len) == h.sum, "echo: checksum of block %u", h.seq);
		for (unsigned i = 0; i < h.len; i++)
			buf[i] = (unsigned char)~buf[i];
		h.sum = fnv(buf, h.len);
		write_full(out, &h, sizeof(h));
		write_full(out, buf, h.len);
	}
	_exit(0);
}

static long echo_client(int out, int in)
{
	static unsigned char buf[BLOCK_MAX], back[BLOCK_MAX];
	struct hdr h, r;
	long ops = 0;

	for (unsigned seq = 0; time_left(); seq++, ops++) {
		h.seq = seq;
		h.len = 1 + (seq * 131) % BLOCK_MAX;
		fill(buf, h.len, seq);
		h.sum = fnv(buf, h.len);
		write_full(out, &h, sizeof(h));
		write_full(out, buf, h.len);
		CHECK(read_full(in, &r, sizeof(r)), "echo: no reply to %u", seq);
		CHECK(r.seq == seq && r.len == h.len, "echo: reply %u/%u for %u/%u", r.seq, r.len,
		      seq, h.len);
		CHECK(read_full(in, back, r.len), "echo: short reply %u", seq);
		CHECK(fnv(back, r.len) == r.sum, "echo: reply checksum %u", seq);
		for (unsigned i = 0; i < r.len; i++)
			CHECK(back[i] == (unsigned char)~buf[i], "echo: reply byte %u of %u", i, seq);
	}
	return ops;
}

static long w_pipe(int a, int b)
{
	int to[2], from[2];

	CHECK(pipe(to) == 0 && pipe(from) == 0, "pipe");
	pid_t pid = fork_partner();
	if (pid == 0) {
		pin(b);
		close(to[1]);
		close(from[0]);
		echo_server(to[0], from[1]);
	}
	pin(a);
	close(to[0]);
	close(from[1]);
	long ops = echo_client(to[1], from[0]);
	close(to[1]);
	close(from[0]);
	reap(pid, "pipe");
	return ops;
}

static long w_unix(int a, int b)
{
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	pid_t pid = fork_partner();
	if (pid == 0) {
		pin(b);
		close(sv[0]);
		echo_server(sv[1], sv[1]);
	}
	pin(a);
	close(sv[1]);
	long ops = echo_client(sv[0], sv[0]);
	close(sv[0]);
	reap(pid, "unix");
	return ops;
}

/* ---- AF_UNIX datagrams: one message per block, answered with its sum ---- */

static long w_dgram(int a, int b)
{
	static unsigned char buf[BLOCK_MAX + 8];
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair(DGRAM)");
	pid_t pid = fork_partner();
	if (pid == 0) {
		pin(b);
		close(sv[0]);
		for (unsigned want = 0;; want++) {
			ssize_t n = recv(sv[1], buf, sizeof(buf), 0);
			if (n == 0)
				_exit(0); /* the empty datagram: stop */
			CHECK(n >= 8, "dgram: recv %zd", n);
			unsigned seq, sum;
			memcpy(&seq, buf, 4);
			memcpy(&sum, buf + 4, 4);
			CHECK(seq == want, "dgram: seq %u, want %u", seq, want);
			CHECK(fnv(buf + 8, (size_t)n - 8) == sum, "dgram: checksum %u", seq);
			unsigned ans[2] = { seq, ~sum };
			CHECK(send(sv[1], ans, sizeof(ans), 0) == sizeof(ans), "dgram: answer");
		}
	}
	pin(a);
	close(sv[1]);
	long ops = 0;
	for (unsigned seq = 0; time_left(); seq++, ops++) {
		size_t len = (seq * 97) % BLOCK_MAX;
		fill(buf + 8, len, seq);
		unsigned sum = fnv(buf + 8, len), ans[2];
		memcpy(buf, &seq, 4);
		memcpy(buf + 4, &sum, 4);
		CHECK(send(sv[0], buf, 8 + len, 0) == (ssize_t)(8 + len), "dgram: send %u", seq);
		CHECK(recv(sv[0], ans, sizeof(ans), 0) == sizeof(ans), "dgram: no answer %u", seq);
		CHECK(ans[0] == seq && ans[1] == ~sum, "dgram: answer %u/%x for %u", ans[0], ans[1],
		      seq);
	}
	CHECK(send(sv[0], buf, 0, 0) == 0, "dgram: stop");
	close(sv[0]);
	reap(pid, "dgram");
	return ops;
}

/* ---- futex: two threads pass a turn word; the buffer goes with it ---- */

struct futex_pair {
	atomic_int turn; /* 0: side A's, 1: side B's, 2: stop */
	unsigned seq, sum, len;
	unsigned char buf[512];
	int cpu_b;
	const char *err;
};

static void futex_wait_for(atomic_int *w, int want)
{
	int v;
	while ((v = atomic_load(w)) != want && v != 2)
		syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

static void futex_give(atomic_int *w, int v)
{
	atomic_store(w, v);
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *futex_side_b(void *arg)
{
	struct futex_pair *p = arg;

	pin(p->cpu_b);
	for (unsigned want = 0;; want++) {
		futex_wait_for(&p->turn, 1);
		if (atomic_load(&p->turn) == 2)
			return NULL;
		if (p->seq != want || fnv(p->buf, p->len) != p->sum) {
			p->err = "futex: side B saw a bad buffer";
			futex_give(&p->turn, 2);
			return NULL;
		}
		for (unsigned i = 0; i < p->len; i++)
			p->buf[i] ^= 0x5a;
		p->sum = fnv(p->buf, p->len);
		futex_give(&p->turn, 0);
	}
}

static long w_futex(int a, int b)
{
	static struct futex_pair p;
	static unsigned char want[sizeof(p.buf)];
	pthread_t t;
	long ops = 0;

	p.cpu_b = b;
	pin(a);
	CHECK(pthread_create(&t, NULL, futex_side_b, &p) == 0, "pthread_create");
	for (unsigned seq = 0; time_left(); seq++, ops++) {
		p.seq = seq;
		p.len = 1 + seq % sizeof(p.buf);
		fill(p.buf, p.len, seq);
		memcpy(want, p.buf, p.len);
		p.sum = fnv(p.buf, p.len);
		futex_give(&p.turn, 1);
		futex_wait_for(&p.turn, 0);
		CHECK(atomic_load(&p.turn) == 0, "%s", p.err ? p.err : "futex: stopped");
		CHECK(fnv(p.buf, p.len) == p.sum, "futex: checksum %u", seq);
		for (unsigned i = 0; i < p.len; i++)
			CHECK(p.buf[i] == (want[i] ^ 0x5a), "futex: byte %u of %u", i, seq);
	}
	futex_give(&p.turn, 2);
	CHECK(pthread_join(t, NULL) == 0, "pthread_join");
	CHECK(!p.err, "%s", p.err);
	return ops;
}

/* ---- Ferrite ports: call/reply with checksums ---- */

static long w_port(int a, int b, int idx)
{
	static unsigned char q[BLOCK_MAX], r[BLOCK_MAX];
	struct ferrite_port_msg m;
	char name[32];

	if (!on_ferrite)
		return -1; /* no ports elsewhere */
	snprintf(name, sizeof(name), "stress.%d.%d", (int)getpid(), idx);
	int port = port_create(name, 0);
	CHECK(port >= 0, "port_create %s", name);
	pid_t pid = fork_partner();
	if (pid == 0) {
		pin(b);
		for (;;) {
			long n = port_recv(port, &m, q, sizeof(q), 0, NULL);
			CHECK(n >= 0, "port: recv");
			if (m.token == 0)
				_exit(0); /* the plain "stop" message */
			CHECK(m.type >= 0 && fnv(q, (size_t)n) == (unsigned)m.type,
			      "port: request checksum");
			for (long i = 0; i < n; i++)
				q[i] = (unsigned char)(q[i] + 1);
			CHECK(port_reply(port, m.token, fnv(q, (size_t)n), q, (unsigned long)n) == 0,
			      "port: reply");
		}
	}
	pin(a);
	close(port);
	int conn = port_connect(name, 0);
	CHECK(conn >= 0, "port_connect");
	long ops = 0;
	for (unsigned seq = 0; time_left(); seq++, ops++) {
		size_t len = 1 + (seq * 53) % BLOCK_MAX;
		fill(q, len, seq);
		long n = port_call(conn, fnv(q, len), q, len, &m, r, sizeof(r), 0, NULL);
		CHECK(n == (long)len, "port: call %u returned %ld", seq, n);
		CHECK((unsigned)m.type == fnv(r, len), "port: reply checksum %u", seq);
		for (size_t i = 0; i < len; i++)
			CHECK(r[i] == (unsigned char)(q[i] + 1), "port: reply byte %zu of %u", i, seq);
	}
	CHECK(port_send(conn, 0, NULL, 0, 0) == 0, "port: stop");
	close(conn);
	reap(pid, "port");
	return ops;
}

/* ---- SysV message queue: type 1 requests, type 2 replies; the stop is a
 * request with seq ~0 ---- */

struct smsg {
	long type;
	unsigned seq, sum;
	unsigned char data[1024];
};

static long w_msg(int a, int b)
{
	static struct smsg m, r;
	int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

	CHECK(q >= 0, "msgget");
	pid_t pid = fork_partner();
	if (pid == 0) {
		pin(b);
		for (;;) {
			ssize_t n = msgrcv(q, &r, sizeof(r) - sizeof(long), 1, 0);
			CHECK(n >= 8, "msg: msgrcv %zd", n);
			if (r.seq == ~0u)
				_exit(0);
			CHECK(r.type == 1 && fnv(r.data, (size_t)n - 8) == r.sum,
			      "msg: request %u checksum", r.seq);
			r.type = 2;
			r.sum = ~r.sum;
			CHECK(msgsnd(q, &r, (size_t)n, 0) == 0, "msg: reply");
		}
	}
	pin(a);
	long ops = 0;
	for (unsigned seq = 0; time_left(); seq++, ops++) {
		size_t len = (seq * 29) % sizeof(m.data);
		m.type = 1;
		m.seq = seq;
		fill(m.data, len, seq);
		m.sum = fnv(m.data, len);
		CHECK(msgsnd(q, &m, 8 + len, 0) == 0, "msg: msgsnd %u", seq);
		ssize_t n = msgrcv(q, &r, sizeof(r) - sizeof(long), 2, 0);
		CHECK(n == (ssize_t)(8 + len) && r.seq == seq && r.sum == ~m.sum &&
		      !memcmp(r.data, m.data, len), "msg: reply %u (%zd bytes)", seq, n);
	}
	m.type = 1;
	m.seq = ~0u;
	CHECK(msgsnd(q, &m, 8, 0) == 0, "msg: stop");
	reap(pid, "msg");
	CHECK(msgctl(q, IPC_RMID, NULL) == 0, "msgctl(IPC_RMID)");
	return ops;
}

/* ---- SysV sem + shm: a record rewritten under the semaphore ---- */

struct record {
	unsigned long count, done[2];
	unsigned sum, len;
	unsigned char data[2000];
};

static long semshm_side(int sem, struct record *rec, int side)
{
	struct sembuf down = { 0, -1, 0 }, up = { 0, 1, 0 };
	long ops = 0;

	while (time_left()) {
		CHECK(semop(sem, &down, 1) == 0, "semshm: semop down");
		CHECK(fnv(rec->data, rec->len) == rec->sum, "semshm: record checksum at %lu",
		      rec->count);
		rec->count++;
		rec->len = 1 + (unsigned)(rec->count * 17) % sizeof(rec->data);
		fill(rec->data, rec->len, (unsigned)rec->count);
		rec->sum = fnv(rec->data, rec->len);
		ops++;
		CHECK(semop(sem, &up, 1) == 0, "semshm: semop up");
	}
	rec->done[side] = (unsigned long)ops;
	return ops;
}

static long w_semshm(int a, int b)
{
	int shm = shmget(IPC_PRIVATE, sizeof(struct record), IPC_CREAT | 0600);
	int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);

	CHECK(shm >= 0 && sem >= 0, "shmget/semget");
	CHECK(semctl(sem, 0, SETVAL, 1) == 0, "semctl(SETVAL)");
	struct record *rec = shmat(shm, NULL, 0);
	CHECK(rec != (void *)-1, "shmat");
	rec->sum = fnv(rec->data, rec->len);
	pid_t pid = fork_partner();
	if (pid == 0) {
		pin(b);
		semshm_side(sem, rec, 1);
		_exit(0);
	}
	pin(a);
	long ops = semshm_side(sem, rec, 0);
	reap(pid, "semshm");
	CHECK(rec->count == rec->done[0] + rec->done[1], "semshm: count %lu, sides did %lu+%lu",
	      rec->count, rec->done[0], rec->done[1]);
	ops += (long)rec->done[1];
	CHECK(shmdt(rec) == 0, "shmdt");
	CHECK(shmctl(shm, IPC_RMID, NULL) == 0 && semctl(sem, 0, IPC_RMID) == 0, "IPC_RMID");
	return ops;
}

/* ---- signals: sigqueue ping-pong, values checked ---- */

static long w_signal(int a, int b)
{
	sigset_t set;
	siginfo_t si;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0, "sigprocmask");
	pid_t pid = fork_partner();
	if (pid == 0) {
		pin(b);
		for (int want = 0;; want++) {
			CHECK(sigwaitinfo(&set, &si) == SIGUSR1, "signal: child got another signal");
			if (si.si_value.sival_int < 0)
				_exit(0);
			CHECK(si.si_value.sival_int == want && si.si_pid == getppid(),
			      "signal: value %d from %d, want %d", si.si_value.sival_int,
			      (int)si.si_pid, want);
			union sigval v = { .sival_int = ~want };
			CHECK(sigqueue(getppid(), SIGUSR2, v) == 0, "signal: sigqueue to parent");
		}
	}
	pin(a);
	long ops = 0;
	for (int seq = 0; time_left(); seq++, ops++) {
		union sigval v = { .sival_int = seq };
		CHECK(sigqueue(pid, SIGUSR1, v) == 0, "signal: sigqueue %d", seq);
		CHECK(sigwaitinfo(&set, &si) == SIGUSR2, "signal: parent got another signal");
		CHECK(si.si_value.sival_int == ~seq && si.si_pid == pid, "signal: answer %d for %d",
		      si.si_value.sival_int, seq);
	}
	union sigval stop = { .sival_int = -1 };
	CHECK(sigqueue(pid, SIGUSR1, stop) == 0, "signal: stop");
	reap(pid, "signal");
	return ops;
}

/* ---- fork storms from several threads ---- */

struct forker {
	int cpu;
	long ops;
	const char *err;
};

static void *forker_thread(void *arg)
{
	struct forker *f = arg;

	pin(f->cpu);
	for (unsigned i = 0; time_left(); i++) {
		pid_t pid = fork();
		if (pid < 0) {
			f->err = "fork failed";
			return NULL;
		}
		if (pid == 0) {
			/* Touch fresh memory and the inherited stack, then exit
			 * with a code that names the round. */
			unsigned char *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				_exit(255);
			for (int k = 0; k < 65536; k += 4096)
				p[k] = (unsigned char)i;
			_exit((int)(i % 200) + (p[4096] == (unsigned char)i ? 1 : 250));
		}
		int status;
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != (int)(i % 200) + 1) {
			f->err = "fork: a child exited with the wrong status";
			return NULL;
		}
		f->ops++;
	}
	return NULL;
}

static long w_fork(int a, int b)
{
	struct forker f[3] = { { a, 0, NULL }, { b, 0, NULL }, { a + b + 1, 0, NULL } };
	pthread_t t[3];
	long ops = 0;

	for (int i = 0; i < 3; i++)
		CHECK(pthread_create(&t[i], NULL, forker_thread, &f[i]) == 0, "pthread_create");
	for (int i = 0; i < 3; i++) {
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
		CHECK(!f[i].err, "%s", f[i].err);
		ops += f[i].ops;
	}
	return ops;
}

/* ---- one mm, several threads mapping and unmapping their own memory ---- */

struct mapper {
	int cpu;
	unsigned id;
	long ops;
	const char *err;
};

static void *adder_thread(void *arg)
{
	unsigned long n = (unsigned long)arg, s = 0;
	for (unsigned long i = 1; i <= n; i++)
		s += i;
	return (void *)s;
}

static void *mapper_thread(void *arg)
{
	struct mapper *m = arg;

	pin(m->cpu);
	for (unsigned i = 0; time_left(); i++) {
		size_t pages = 1 + (i + m->id) % 16, len = pages * 4096;
		unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			m->err = "mm: mmap failed";
			return NULL;
		}
		for (size_t k = 0; k < len; k += 512)
			p[k] = (unsigned char)(k / 512 + i + m->id);
		for (size_t k = 0; k < len; k += 512)
			if (p[k] != (unsigned char)(k / 512 + i + m->id)) {
				m->err = "mm: memory changed under its thread";
				return NULL;
			}
		if (i % 4 == 0 && mprotect(p, len, PROT_READ) != 0) {
			m->err = "mm: mprotect failed";
			return NULL;
		}
		if (munmap(p, len) != 0) {
			m->err = "mm: munmap failed";
			return NULL;
		}
		if (i % 8 == 0) {
			pthread_t t;
			void *sum;
			unsigned long n = 100 + i % 50;
			if (pthread_create(&t, NULL, adder_thread, (void *)n) != 0 ||
			    pthread_join(t, &sum) != 0 || (unsigned long)sum != n * (n + 1) / 2) {
				m->err = "mm: thread create/join/result";
				return NULL;
			}
		}
		m->ops++;
	}
	return NULL;
}

static long w_mm(int a, int b)
{
	struct mapper m[3] = { { a, 0, 0, NULL }, { b, 1, 0, NULL }, { a + 2, 2, 0, NULL } };
	pthread_t t[3];
	long ops = 0;

	for (int i = 0; i < 3; i++)
		CHECK(pthread_create(&t[i], NULL, mapper_thread, &m[i]) == 0, "pthread_create");
	for (int i = 0; i < 3; i++) {
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
		CHECK(!m[i].err, "%s", m[i].err);
		ops += m[i].ops;
	}
	return ops;
}

/* ---- the driver ---- */

enum kind { K_PIPE, K_UNIX, K_DGRAM, K_FUTEX, K_PORT, K_MSG, K_SEMSHM, K_SIGNAL, K_FORK, K_MM,
	    K_COUNT };
static const char *const kind_names[K_COUNT] = { "pipe", "unix", "dgram", "futex", "port",
						 "msg", "semshm", "signal", "fork", "mm" };

static long run_kind(enum kind k, int a, int b, int idx)
{
	switch (k) {
	case K_PIPE: return w_pipe(a, b);
	case K_UNIX: return w_unix(a, b);
	case K_DGRAM: return w_dgram(a, b);
	case K_FUTEX: return w_futex(a, b);
	case K_PORT: return w_port(a, b, idx);
	case K_MSG: return w_msg(a, b);
	case K_SEMSHM: return w_semshm(a, b);
	case K_SIGNAL: return w_signal(a, b);
	case K_FORK: return w_fork(a, b);
	case K_MM: return w_mm(a, b);
	default: return -1;
	}
}

/* One round of every worker, `copies` of each, for `seconds`; true if all
 * of them finished and passed. Workers still running 60 s after the end
 * count as hung and are killed. */
static bool run_round(double seconds, int copies, bool report)
{
	pid_t pids[MAX_WORKERS];
	int n = 0;
	bool ok = true;

	deadline = monotonic_seconds() + seconds;
	for (int c = 0; c < copies; c++)
		for (int k = 0; k < K_COUNT && n < MAX_WORKERS; k++, n++) {
			/* The two ends on different CPUs, partners varying by copy. */
			int a = n, b = n + 1 + (ncpus > 2 ? c % (ncpus - 1) : 0);
			snprintf(results[n].name, sizeof(results[n].name), "%s#%d", kind_names[k], c);
			results[n].ops = 0;
			fflush(NULL);
			pids[n] = fork();
			CHECK(pids[n] >= 0, "fork worker");
			if (pids[n] == 0) {
				results[n].ops = run_kind((enum kind)k, a, b, n);
				_exit(0);
			}
		}
	int left = n;
	double give_up = deadline + 60;
	while (left > 0) {
		int status;
		pid_t got = waitpid(-1, &status, WNOHANG);
		if (got == 0) {
			if (monotonic_seconds() > give_up)
				break;
			usleep(50000);
			continue;
		}
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		for (int i = 0; i < n; i++) {
			if (pids[i] != got)
				continue;
			pids[i] = 0;
			left--;
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				printf("stress: %s failed (status 0x%x)\n", results[i].name, status);
				ok = false;
			}
		}
		/* Anything else is an orphan reaped on the way (we may be pid 1). */
	}
	for (int i = 0; i < n; i++) {
		if (!pids[i])
			continue;
		printf("stress: %s hung 60 s past the end; killed\n", results[i].name);
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
		ok = false;
	}
	long total = 0;
	for (int i = 0; i < n; i++) {
		if (report && results[i].ops >= 0)
			printf("stress: %-10s %8ld ops\n", results[i].name, results[i].ops);
		/* Slowness, not an error: a worker stuck mid-transfer would
		 * have hung past the end (above). qemu-riscv64 on a loaded host
		 * can leave one without a finished round trip in 5 s. */
		if (results[i].ops == 0 && report)
			printf("stress: note: %s finished no operation in time\n",
			       results[i].name);
		total += results[i].ops > 0 ? results[i].ops : 0;
	}
	if (report)
		printf("stress: %d workers, %ld operations in %.0f s\n", n, total, seconds);
	return ok;
}

#define COUNTERS_MAX 40
struct counters {
	int n;
	char name[COUNTERS_MAX][32];
	unsigned long long value[COUNTERS_MAX];
};

static bool counters_read(struct counters *c)
{
	char buf[4096];
	ssize_t len = 0, r;
	int fd = open("/proc/ferrite/counters", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	while (len < (ssize_t)sizeof(buf) - 1 && (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += r;
	close(fd);
	buf[len] = '\0';
	c->n = 0;
	for (char *line = strtok(buf, "\n"); line && c->n < COUNTERS_MAX; line = strtok(NULL, "\n"))
		if (sscanf(line, "%31s %llu", c->name[c->n], &c->value[c->n]) == 2)
			c->n++;
	return c->n > 0;
}

/* Print the counters that differ; return their number. More free frames
 * than at the start is no leak (a frame held at the first reading, such as
 * the page tables an idle CPU still has loaded from a process that has
 * exited, can be released meanwhile); fewer is. */
static int counters_diff(const struct counters *a, const struct counters *b, bool print)
{
	int bad = 0;
	for (int i = 0; i < a->n && i < b->n; i++)
		if (a->value[i] != b->value[i] &&
		    !(!strcmp(a->name[i], "frames_free") && b->value[i] > a->value[i])) {
			bad++;
			if (print)
				printf("stress: leak: %s %llu -> %llu\n", a->name[i], a->value[i],
				       b->value[i]);
		}
	return bad;
}

static void finish(bool ok)
{
	printf("%s\n", ok ? "STRESS_OK" : "STRESS_FAIL");
	fflush(NULL);
	if (getpid() == 1) {
		sync();
		reboot(RB_POWER_OFF);
	}
	exit(ok ? 0 : 1);
}

int main(int argc, char **argv)
{
	cpu_set_t set;
	struct utsname u;
	struct counters before, after;
	const char *s = argc > 1 ? argv[1] : getenv("STRESS_SECONDS");
	double seconds = 20;
	int copies = 2;

	if (!s)
		s = getenv("stress_seconds");
	if (s)
		seconds = atof(s);
	if (getenv("STRESS_COPIES"))
		copies = atoi(getenv("STRESS_COPIES"));
	if (seconds <= 0 || copies < 1 || copies * K_COUNT > MAX_WORKERS) {
		printf("usage: stress [SECONDS]  (STRESS_COPIES 1..%d)\n", MAX_WORKERS / K_COUNT);
		finish(false);
	}
	on_ferrite = uname(&u) == 0 && strstr(u.release, "ferrite") != NULL;
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		ncpus = CPU_COUNT(&set);
	results = mmap(NULL, sizeof(struct result) * MAX_WORKERS, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(results != MAP_FAILED, "mmap results");
	printf("stress: %d CPUs, %d copies of %d workers, %.0f s%s\n", ncpus, copies, K_COUNT,
	       seconds, on_ferrite ? "" : " (not Ferrite: no leak check)");
	fflush(NULL);

	/* Warm-up: fills the caches that stay (heaps, page tables, the
	 * signal-queue and socket caches) before the counters are read. */
	if (!run_round(1, copies, false))
		finish(false);
	/* The starting point: read until two readings 200 ms apart agree, as
	 * the warm-up's last frees (a dead task's kernel stack, freed once
	 * its CPU has switched away) finish after waitpid. This also makes
	 * the stack pages and buffers of the check itself ours already. */
	bool counting = on_ferrite && counters_read(&after);
	for (int tries = 0; counting && tries < 25; tries++) {
		usleep(200000);
		counting = counters_read(&before);
		if (counting && !counters_diff(&after, &before, false))
			break;
		after = before;
	}
	if (!run_round(seconds, copies, true))
		finish(false);
	if (counting) {
		int bad = 0;
		for (int tries = 0; tries < 50; tries++) {
			if (!counters_read(&after))
				break;
			bad = counters_diff(&before, &after, false);
			if (!bad)
				break;
			usleep(100000);
		}
		if (bad) {
			counters_diff(&before, &after, true);
			finish(false);
		}
		printf("stress: %d leak counters back to their start\n", before.n);
	}
	finish(true);
}
