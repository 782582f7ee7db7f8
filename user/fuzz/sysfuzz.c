/*
 * sysfuzz: the driver. Runs sequences (child.c) in batches, one forked
 * child at a time, each with a time limit; after every batch it kills and
 * reaps what is left (a task that survives SIGKILL is a hang), removes the
 * scratch files and System V objects, and compares the kernel's leak
 * counters with the baseline taken after a warm-up. Every problem is
 * reported with the seed and sequence that replays it:
 *
 *   sysfuzz [--seeds A,B,...] [--time S] [--calls N] [--batch N]
 *           [--no-guide] [--no-kcov]
 *   sysfuzz --seed S --seq N --replay     one sequence, every call printed
 *   sysfuzz --seq N --prog-file F --replay   a printed (mutated) program
 *   sysfuzz --fail-nth K [--sweep-calls N]   fail-nth sweeps (failnth.c)
 *   sysfuzz --seed S --seq N --fail-nth K --sweep-calls C --fault-nth F --replay
 *                                          one run of a sweep, again
 *
 * Coverage guidance: programs that found new signal (kernel PCs and edges
 * from /dev/kcov on a coverage kernel, new (syscall, result) pairs
 * anywhere) join a corpus; half the sequences are mutations of corpus
 * programs (prog.c), the other half fresh.
 *
 * As pid 1 (init=/tests/sysfuzz) it reads its options from
 * /etc/sysfuzz.conf when there is one (scripts/fuzz.sh adds it), reaps
 * orphans, and powers the machine off at the end. The last lines are
 * "SEED S PASS|FAIL ..." per seed and "sysfuzz: RESULT PASS|FAIL".
 * Outside Ferrite (no /proc/ferrite/counters) the leak check is off, and
 * System V objects are removed only when SYSFUZZ_OWN_SYSTEM is set (an
 * IPC namespace of its own), so a run on a shared Linux machine touches
 * nothing of anyone else's.
 */
#include "sysfuzz.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

const char *sysfuzz_exe = "/tests/sysfuzz";

static struct shared *sh;
static struct covmap *cov;

/* The corpus: programs that found new signal (kernel PCs or edges with
 * kcov, (syscall, result) pairs always), mutated by the guidance. */
#define CORPUS_MAX 512
static struct prog *corpus;
static unsigned ncorpus;
static struct {
	unsigned long pcs, edges, outcomes;	/* distinct, so far */
	unsigned long fresh, mutated;		/* programs run of each kind */
	unsigned long fresh_new, mutated_new;	/* ... that found new signal */
	bool kcov;				/* some child traced with kcov */
} covstat;
static bool own_system;
static struct termios saved_tty;
static bool have_tty;

/* Totals over the whole run. */
static struct {
	unsigned long seqs, calls, stalled, crashed, hangs, leaks;
} total;

/* The batch's programs, for the leak bisection. */
#define BATCH_MAX 64
static struct prog batch_progs[BATCH_MAX];

enum seq_result { SEQ_OK, SEQ_CRASHED, SEQ_STALLED, SEQ_HANG };

/* Where sequences stopped early, by the call they were in. */
static unsigned stalls_in[COVER_CALLS], crashes_in[COVER_CALLS];

static const char *default_conf = "--seeds 1,2,3,4 --time 48";

static void usage(void)
{
	fprintf(stderr, "usage: sysfuzz [--seeds A,B,..] [--seed S] [--seq N] [--replay]\n"
			"               [--time SECONDS] [--calls N] [--batch N] [--no-leak-check]\n"
			"               [--no-guide] [--no-kcov] [--prog-file PATH]\n"
			"               [--fail-nth K] [--sweep-calls N] [--fault-nth N] [--from-seq N]\n");
	exit(2);
}

static void parse(struct options *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--replay")) {
			o->replay = true;
		} else if (!strcmp(a, "--no-leak-check")) {
			o->leak_checks = false;
		} else if (!strcmp(a, "--no-guide")) {
			o->guide = false;
		} else if (!strcmp(a, "--no-kcov")) {
			o->kcov = false;
		} else if (!v) {
			usage();
		} else if (!strcmp(a, "--prog-file")) {
			o->prog_file = v;
			i++;
		} else if (!strcmp(a, "--seed")) {
			o->nseeds = 1;
			o->seeds[0] = strtoull(v, NULL, 0);
			i++;
		} else if (!strcmp(a, "--seeds")) {
			char *s = strdup(v), *save = NULL;
			o->nseeds = 0;
			for (char *t = strtok_r(s, ",", &save); t && o->nseeds < 32;
			     t = strtok_r(NULL, ",", &save))
				o->seeds[o->nseeds++] = strtoull(t, NULL, 0);
			free(s);
			i++;
		} else if (!strcmp(a, "--seq")) {
			o->seq = strtol(v, NULL, 0);
			i++;
		} else if (!strcmp(a, "--time")) {
			o->seconds = atoi(v);
			i++;
		} else if (!strcmp(a, "--calls")) {
			o->calls_per_seq = atoi(v);
			i++;
		} else if (!strcmp(a, "--batch")) {
			o->batch = atoi(v);
			i++;
		} else if (!strcmp(a, "--fail-nth")) {
			o->fail_nth = atoi(v);
			i++;
		} else if (!strcmp(a, "--sweep-calls")) {
			o->sweep_calls = atoi(v);
			i++;
		} else if (!strcmp(a, "--from-seq")) {
			o->from_seq = (uint32_t)strtoul(v, NULL, 0);
			i++;
		} else if (!strcmp(a, "--fault-nth")) {
			o->fault_nth = atoi(v);
			i++;
		} else if (!strcmp(a, "--stall-ms")) {
			o->stall_ms = atoi(v);
			i++;
		} else {
			usage();
		}
	}
}

/* pid 1: options from /etc/sysfuzz.conf (one line), or the defaults. */
static void parse_conf(struct options *o)
{
	static char line[512];
	char *argv[64] = { "sysfuzz" };
	int argc = 1;
	FILE *f = fopen("/etc/sysfuzz.conf", "r");

	if (!f || !fgets(line, sizeof(line), f))
		snprintf(line, sizeof(line), "%s", default_conf);
	if (f)
		fclose(f);
	char *save = NULL;
	for (char *t = strtok_r(line, " \t\n", &save); t && argc < 63;
	     t = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = t;
	printf("sysfuzz: options:");
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	parse(o, argc, argv);
}

static bool running_on_ferrite(void)
{
	struct utsname u;
	return uname(&u) == 0 && strstr(u.release, "ferrite") != NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* How to run a program again. */
static void print_replay(const struct prog *pg, uint64_t seed, uint32_t seq)
{
	if (pg->fault_call >= 0) {
		printf("sysfuzz: replay: sysfuzz --seed %llu --seq %u --fail-nth 1 --sweep-calls %u "
		       "--fault-nth %u --replay\n",
		       (unsigned long long)seed, seq, pg->n, pg->fault_nth);
		return;
	}
	if (!pg->mutated) {
		printf("sysfuzz: replay: sysfuzz --seed %llu --seq %u --replay\n",
		       (unsigned long long)seed, seq);
		return;
	}
	printf("sysfuzz: replay: put the prog line below in a file, then sysfuzz --seq %u "
	       "--prog-file FILE --replay\n", seq);
	prog_print(pg, "sysfuzz: prog ");
}

/* Run one program in a child and watch it. */
static enum seq_result run_seq(const struct options *o, const struct prog *pg, uint64_t seed,
			       uint32_t seq)
{
	sh->seq = seq;
	sh->call = ~0u;
	sh->calls_done = 0;
	sh->setup_done = 0;
	sh->main_done = 0;
	sh->fault_state = FAULT_NOT_REACHED;
	sh->new_pcs = sh->new_edges = sh->new_outcomes = 0;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		printf("sysfuzz: fork: %s\n", strerror(errno));
		sleep_ms(100);
		return SEQ_CRASHED;
	}
	if (pid == 0) {
		child_run(o, pg, seq, sh, cov);
		_exit(0);
	}

	double start = now_ms(), moved = start, killed = 0;
	bool slow = false;
	uint32_t last = sh->call;
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		int status;
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid) {
			total.calls += sh->calls_done;
			covstat.pcs += sh->new_pcs;
			covstat.edges += sh->new_edges;
			covstat.outcomes += sh->new_outcomes;
			covstat.kcov |= sh->kcov_on;
			unsigned idx = sh->call_idx < COVER_CALLS ? sh->call_idx : 0;
			if (killed) {
				stalls_in[idx]++;
				return SEQ_STALLED;
			}
			if (WIFSIGNALED(status)) {
				crashes_in[idx]++;
				return SEQ_CRASHED;
			}
			return SEQ_OK;
		}
		/* Sleep until a child changes state or 10 ms pass. */
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		sigtimedwait(&chld, NULL, &ts);
		double now = now_ms();
		if (sh->call != last) {
			last = sh->call;
			moved = now;
		}
		if (!killed && (now - moved > o->stall_ms || now - start > o->seq_timeout_ms)) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			killed = now;
		}
		if (killed && !slow && now - killed > o->kill_deadline_ms) {
			/* On a loaded host a big process's teardown can take
			 * seconds of guest time: only a note, yet. */
			slow = true;
			printf("sysfuzz: slow: seed %llu seq %u: pid %d not gone %d ms after SIGKILL "
			       "(a hang if still there after %d ms)\n",
			       (unsigned long long)seed, seq, pid, o->kill_deadline_ms, o->hang_ms);
		}
		if (killed && now - killed > o->hang_ms) {
			char path[64], buf[256] = "";
			snprintf(path, sizeof(path), "/proc/%d/stat", pid);
			int fd = open(path, O_RDONLY);
			if (fd >= 0) {
				ssize_t n = read(fd, buf, sizeof(buf) - 1);
				buf[n > 0 ? n : 0] = '\0';
				close(fd);
			}
			printf("sysfuzz: HANG seed %llu seq %u call %u: pid %d not gone %d ms after "
			       "SIGKILL (stat: %.100s)\n",
			       (unsigned long long)seed, seq, sh->call, pid, o->hang_ms, buf);
			print_replay(pg, seed, seq);
			return SEQ_HANG;
		}
	}
}

/* The end of a batch: strays, files, IPC objects, the terminal. */
static int cleanup(const struct options *o)
{
	char why[256];
	int hung = kill_strays(o->hang_ms, why, sizeof(why));
	if (hung)
		printf("sysfuzz: HANG after batch: %s\n", why);
	remove_tree(SCRATCH_ROOT);
	mkdir(SCRATCH_ROOT, 0755);
	chmod(SCRATCH_ROOT, 01777);
	if (own_system)
		remove_ipc();
	if (have_tty)
		tcsetattr(1, TCSANOW, &saved_tty);
	return hung;
}

/* Counters back at the baseline, allowing a settle period. */
static bool counters_settled(const struct counters *base, char *why, size_t len)
{
	struct counters now;
	for (int tries = 0; tries < 100; tries++) {
		if (!counters_read(&now))
			return true;
		if (!counters_diff(base, &now, why, len))
			return true;
		sleep_ms(20);
	}
	return false;
}

/* A leak in a batch: find the sequences that leak on their own, or else
 * the shortest run of the batch that leaks. */
static bool bisect_leak(const struct options *o, uint64_t seed, uint32_t first, uint32_t n)
{
	struct counters before;
	char why[512];
	bool found = false;
	for (uint32_t s = first; s < first + n; s++) {
		if (!counters_read(&before))
			return true;
		run_seq(o, &batch_progs[s - first], seed, s);
		cleanup(o);
		if (!counters_settled(&before, why, sizeof(why))) {
			found = true;
			printf("sysfuzz: LEAK seed %llu seq %u leaks alone: %s\n",
			       (unsigned long long)seed, s, why);
			print_replay(&batch_progs[s - first], seed, s);
		}
	}
	for (uint32_t k = 2; !found && k <= n; k++) {
		if (!counters_read(&before))
			return true;
		for (uint32_t s = first; s < first + k; s++)
			run_seq(o, &batch_progs[s - first], seed, s);
		cleanup(o);
		if (!counters_settled(&before, why, sizeof(why))) {
			found = true;
			printf("sysfuzz: LEAK seed %llu seqs %u..%u leak together: %s\n",
			       (unsigned long long)seed, first, first + k - 1, why);
		}
	}
	if (!found)
		printf("sysfuzz: note: seed %llu seqs %u..%u: not reproduced, so a cache filled "
		       "once (not counted as a leak)\n",
		       (unsigned long long)seed, first, first + n - 1);
	return found;
}

/* The program of sequence seq: fresh from (seed, seq), or with guidance
 * half the time a mutation of a corpus program. */
static void choose_prog(const struct options *o, struct prog *pg, uint64_t seed, uint32_t seq)
{
	struct rng r = { seq_seed(seed ^ 0x6775696465ull, seq) };

	if (!o->guide || !ncorpus || rng_one_in(&r, 2)) {
		prog_generate(pg, seed, seq, o->calls_per_seq);
		return;
	}
	*pg = corpus[rng_below(&r, ncorpus)];
	const struct prog *other = &corpus[rng_below(&r, ncorpus)];
	prog_mutate(pg, other, &r, o->calls_per_seq);
}

/* After a run: a program that found new signal joins the corpus (whole:
 * a prefix would make shorter sequences, and a sequence's setup costs as
 * much as a hundred calls). */
static void learn(const struct options *o, const struct prog *pg, uint64_t seed, uint32_t seq)
{
	bool found = sh->new_pcs || sh->new_edges || sh->new_outcomes;

	if (pg->mutated) {
		covstat.mutated++;
		covstat.mutated_new += found;
	} else {
		covstat.fresh++;
		covstat.fresh_new += found;
	}
	if (!found || !o->guide || !corpus)
		return;
	struct rng r = { seq_seed(seed ^ 0x636f7270ull, seq) };
	struct prog *slot = ncorpus < CORPUS_MAX ? &corpus[ncorpus++] : &corpus[rng_below(&r, CORPUS_MAX)];
	*slot = *pg;
}

/* A fail-nth sweep (failnth.c): the program of sweep seq again with
 * fail-nth 1, 2, ... for its last call, until the call makes fewer
 * operations than that, or K. */
static enum seq_result run_sweep(const struct options *o, struct prog *pg, uint64_t seed,
				 uint32_t seq)
{
	enum seq_result res = SEQ_OK;
	unsigned fired = 0;

	sweep_prog(pg, o, seed, seq);
	for (uint32_t n = 1; n <= (uint32_t)o->fail_nth; n++) {
		pg->fault_nth = n;
		res = run_seq(o, pg, seed, seq);
		if (res == SEQ_HANG || sh->fault_state != FAULT_FIRED)
			break;
		fired++;
	}
	sweep_note(pg->c[pg->fault_call].idx, fired, fired == (unsigned)o->fail_nth);
	return res;
}

struct seed_stats {
	unsigned long seqs, calls, stalled, crashed, hangs, leaks;
};

static void run_seed(const struct options *o, uint64_t seed, double budget_ms,
		     struct counters *base, bool *have_base, struct seed_stats *st)
{
	double start = now_ms();
	uint32_t seq = o->from_seq;
	char why[512];

	memset(st, 0, sizeof(*st));
	while (now_ms() - start < budget_ms) {
		uint32_t first = seq;
		unsigned long calls0 = total.calls;
		/* After a panic, the last of these lines names the batch. */
		printf("sysfuzz: seed %llu seqs %u..%u (%.1f s: %lu PCs, %lu edges, %lu results, "
		       "corpus %u)\n",
		       (unsigned long long)seed, first, first + o->batch - 1,
		       (now_ms() - start) / 1000, covstat.pcs, covstat.edges, covstat.outcomes,
		       ncorpus);
		for (int i = 0; i < o->batch; i++, seq++) {
			struct prog *pg = &batch_progs[i];
			enum seq_result res;
			if (o->fail_nth > 0) {
				res = run_sweep(o, pg, seed, seq);
			} else {
				choose_prog(o, pg, seed, seq);
				res = run_seq(o, pg, seed, seq);
				learn(o, pg, seed, seq);
			}
			switch (res) {
			case SEQ_OK: break;
			case SEQ_CRASHED: st->crashed++; break;
			case SEQ_STALLED: st->stalled++; break;
			case SEQ_HANG: st->hangs++; break;
			}
			st->seqs++;
		}
		st->calls += total.calls - calls0;
		if (cleanup(o))
			st->hangs++;
		if (st->hangs)
			break; /* the stuck task keeps its resources: no leak check */
		if (!o->leak_checks)
			continue;
		if (!*have_base) {
			*have_base = counters_read(base);
			continue;
		}
		if (!counters_settled(base, why, sizeof(why))) {
			printf("sysfuzz: counters moved after seed %llu seqs %u..%u: %s\n",
			       (unsigned long long)seed, first, seq - 1, why);
			/* Run the batch again, in parts: a real leak grows again,
			 * a cache filled once does not. */
			if (bisect_leak(o, seed, first, seq - first))
				st->leaks++;
			counters_read(base); /* report each leak once */
		}
	}
}

static void print_coverage(void)
{
	unsigned used = 0, outcomes = 0;
	for (unsigned i = 0; i < ncalls; i++) {
		if (sh->outcomes[i])
			used++;
		outcomes += (unsigned)__builtin_popcountll(sh->outcomes[i]);
	}
	printf("sysfuzz: sequences ended early (stalled/killed by a signal) in:");
	for (unsigned i = 0; i < ncalls; i++)
		if (stalls_in[i] || crashes_in[i])
			printf(" %s %u/%u", calls[i].name, stalls_in[i], crashes_in[i]);
	printf("\n");
	printf("sysfuzz: coverage: %u of %u syscalls made, %u distinct (syscall, result) pairs\n",
	       used, ncalls, outcomes);
	if (covstat.kcov)
		printf("sysfuzz: coverage: kernel (kcov): %lu distinct PCs, %lu distinct edges "
		       "(hashed in 2^%d-bit maps)\n", covstat.pcs, covstat.edges, COV_BITS);
	else
		printf("sysfuzz: coverage: kernel (kcov): none, no /dev/kcov (a release kernel)\n");
	printf("sysfuzz: coverage: guidance %s: corpus %u; %lu fresh programs (%lu found new "
	       "signal), %lu mutated (%lu found new)\n",
	       covstat.fresh && !covstat.mutated && !ncorpus ? "off" : "on", ncorpus, covstat.fresh,
	       covstat.fresh_new, covstat.mutated, covstat.mutated_new);
}

static void finish(int failed)
{
	fflush(NULL);
	if (getpid() == 1) {
		sync();
		reboot(RB_POWER_OFF);
		for (;;)
			pause();
	}
	exit(failed ? 1 : 0);
}

int main(int argc, char **argv)
{
	struct options o = {
		.seq = -1,
		.calls_per_seq = 128,
		.seq_timeout_ms = 3000,
		.stall_ms = 150,
		.kill_deadline_ms = 5000,
		/* past the 30 s hung-task timeout scripts/fuzz.sh boots with,
		 * so the kernel names a task stuck asleep first */
		.hang_ms = 35000,
		.seconds = 30,
		.batch = 16,
		.sweep_calls = 8,
		.leak_checks = true,
		.guide = true,
		.kcov = true,
		.seeds = { 1 },
		.nseeds = 1,
	};

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argv[0] && argv[0][0] == '/')
		sysfuzz_exe = argv[0];
	if (getpid() == 1 && argc == 1)
		parse_conf(&o);
	else
		parse(&o, argc, argv);
	own_system = getpid() == 1 || getenv("SYSFUZZ_OWN_SYSTEM");
	o.drop_privileges = getpid() != 1 && !running_on_ferrite();
	if (o.batch < 1)
		o.batch = 1;
	if (o.batch > BATCH_MAX)
		o.batch = BATCH_MAX;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cov = mmap(NULL, sizeof(*cov), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	corpus = o.guide ? calloc(CORPUS_MAX, sizeof(*corpus)) : NULL;
	if (corpus) /* touched now, or its growth reads as a leak of frames */
		memset(corpus, 0xff, CORPUS_MAX * sizeof(*corpus));
	if (sh == MAP_FAILED || cov == MAP_FAILED) {
		perror("sysfuzz: mmap");
		return 1;
	}
	signal(SIGTTOU, SIG_IGN);
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	if (getpid() != 1)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	have_tty = tcgetattr(1, &saved_tty) == 0;
	remove_tree(SCRATCH_ROOT);
	mkdir(SCRATCH_ROOT, 0755);
	chmod(SCRATCH_ROOT, 01777);

	struct counters base;
	if (o.leak_checks && !counters_read(&base))
		o.leak_checks = false;

	if (o.seq >= 0) {
		/* One sequence, again: for a replay or a regression hunt. */
		static struct prog pg;
		prog_generate(&pg, o.seeds[0], (uint32_t)o.seq, o.calls_per_seq);
		if (o.fail_nth > 0) {
			sweep_prog(&pg, &o, o.seeds[0], (uint32_t)o.seq);
			pg.fault_nth = (uint32_t)o.fault_nth;
		}
		if (o.prog_file) {
			static char text[PROG_MAX * 40 + 64];
			FILE *f = fopen(o.prog_file, "r");
			size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
			if (f)
				fclose(f);
			text[n] = '\0';
			char *line = strstr(text, "sysfuzz: prog ");
			if (prog_parse(&pg, line ? line + 14 : text)) {
				printf("sysfuzz: %s: not a program\n", o.prog_file);
				finish(1);
			}
		}
		enum seq_result r = run_seq(&o, &pg, o.seeds[0], (uint32_t)o.seq);
		int hung = cleanup(&o);
		printf("sysfuzz: seq %ld: %s, %u calls\n", o.seq,
		       r == SEQ_OK ? "ended" : r == SEQ_CRASHED ? "killed by a signal" :
		       r == SEQ_STALLED ? "stalled, killed" : "HANG", sh->calls_done);
		if (pg.fault_call >= 0)
			printf("sysfuzz: fail-nth %u on call %d: %s\n", pg.fault_nth, pg.fault_call,
			       (const char *[]){ "not reached", "not fired", "fired",
						 "unavailable" }[sh->fault_state & 3]);
		finish(r == SEQ_HANG || hung);
	}

	printf("sysfuzz: %u syscalls described, %d seeds, %d s, %d calls a sequence, batches of %d%s\n",
	       ncalls, o.nseeds, o.seconds, o.calls_per_seq, o.batch,
	       o.leak_checks ? ", leak checks on" : "");
	/* Warm-up: caches that fill once (our own heap, page tables) settle. */
	struct options warm = o;
	for (uint32_t s = 0; s < 4; s++) {
		prog_generate(&batch_progs[0], 0xfeedull, s, o.calls_per_seq);
		run_seq(&warm, &batch_progs[0], 0xfeedull, s);
	}
	memset(&covstat, 0, sizeof(covstat)); /* coverage counts from here */
	memset(cov, 0, sizeof(*cov));
	memset((void *)sh->outcomes, 0, sizeof(sh->outcomes));
	cleanup(&o);
	bool have_base = o.leak_checks && counters_read(&base);
	struct counters first = base; /* the drift over the whole run, for the log */

	double t0 = now_ms();
	int failed = 0;
	for (int i = 0; i < o.nseeds; i++) {
		struct seed_stats st;
		double budget = o.seconds * 1000.0 / o.nseeds;
		double s0 = now_ms();
		run_seed(&o, o.seeds[i], budget, &base, &have_base, &st);
		double secs = (now_ms() - s0) / 1000;
		bool bad = st.hangs || st.leaks;
		failed += bad;
		total.seqs += st.seqs;
		total.stalled += st.stalled;
		total.crashed += st.crashed;
		total.hangs += st.hangs;
		total.leaks += st.leaks;
		printf("SEED %llu %s (%lu sequences, %lu calls, %.0f calls/s, %lu stalled, "
		       "%lu killed by signals, %lu hangs, %lu leaks; so far %lu PCs, %lu edges, "
		       "corpus %u)\n",
		       (unsigned long long)o.seeds[i], bad ? "FAIL" : "PASS", st.seqs, st.calls,
		       secs > 0 ? st.calls / secs : 0.0, st.stalled, st.crashed, st.hangs, st.leaks,
		       covstat.pcs, covstat.edges, ncorpus);
		if (st.hangs)
			break; /* a stuck task: the rest would not be trustworthy */
	}
	double secs = (now_ms() - t0) / 1000;
	printf("sysfuzz: %lu sequences, %lu calls in %.1f s (%.0f calls/s), %lu hangs, %lu leaks\n",
	       total.seqs, total.calls, secs, secs > 0 ? total.calls / secs : 0.0, total.hangs,
	       total.leaks);
	print_coverage();
	if (o.fail_nth > 0)
		sweep_report(o.fail_nth);
	if (have_base) {
		struct counters end;
		char why[512];
		cleanup(&o);
		counters_settled(&first, why, sizeof(why));
		if (counters_read(&end)) {
			printf("sysfuzz: counters over the run:");
			for (int i = 0; i < first.n && i < end.n; i++)
				if (first.value[i] != end.value[i])
					printf(" %s %llu -> %llu", first.name[i], first.value[i],
					       end.value[i]);
			printf("\n");
		}
	}
	printf("sysfuzz: RESULT %s\n", failed ? "FAIL" : "PASS");
	finish(failed);
}
