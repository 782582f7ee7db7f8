/*
 * sysfuzz: the driver. Runs sequences (child.c) in batches, one forked
 * child at a time, each with a time limit; after every batch it kills and
 * reaps what is left (a task that survives SIGKILL is a hang), removes the
 * scratch files and System V objects, and compares the kernel's leak
 * counters with the baseline taken after a warm-up. Every problem is
 * reported with the seed and sequence that replays it:
 *
 *   sysfuzz [--seeds A,B,...] [--time S] [--calls N] [--batch N]
 *   sysfuzz --seed S --seq N --replay     one sequence, every call printed
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
static bool own_system;
static struct termios saved_tty;
static bool have_tty;

/* Totals over the whole run. */
static struct {
	unsigned long seqs, calls, stalled, crashed, hangs, leaks;
} total;

enum seq_result { SEQ_OK, SEQ_CRASHED, SEQ_STALLED, SEQ_HANG };

/* Where sequences stopped early, by the call they were in. */
static unsigned stalls_in[COVER_CALLS], crashes_in[COVER_CALLS];

static const char *default_conf = "--seeds 1,2,3,4 --time 48";

static void usage(void)
{
	fprintf(stderr, "usage: sysfuzz [--seeds A,B,..] [--seed S] [--seq N] [--replay]\n"
			"               [--time SECONDS] [--calls N] [--batch N] [--no-leak-check]\n");
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
		} else if (!v) {
			usage();
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

/* Run one sequence in a child and watch it. */
static enum seq_result run_seq(const struct options *o, uint64_t seed, uint32_t seq)
{
	sh->seq = seq;
	sh->call = ~0u;
	sh->calls_done = 0;
	sh->setup_done = 0;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		printf("sysfuzz: fork: %s\n", strerror(errno));
		sleep_ms(100);
		return SEQ_CRASHED;
	}
	if (pid == 0) {
		child_run(o, seed, seq, sh);
		_exit(0);
	}

	double start = now_ms(), moved = start, killed = 0;
	uint32_t last = sh->call;
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		int status;
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid) {
			total.calls += sh->calls_done;
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
		if (killed && now - killed > o->kill_deadline_ms) {
			char path[64], buf[256] = "";
			snprintf(path, sizeof(path), "/proc/%d/stat", pid);
			int fd = open(path, O_RDONLY);
			if (fd >= 0) {
				ssize_t n = read(fd, buf, sizeof(buf) - 1);
				buf[n > 0 ? n : 0] = '\0';
				close(fd);
			}
			printf("sysfuzz: HANG seed %llu seq %u call %u: pid %d not gone %d ms after "
			       "SIGKILL (stat: %.100s)\n"
			       "sysfuzz: replay: sysfuzz --seed %llu --seq %u --replay\n",
			       (unsigned long long)seed, seq, sh->call, pid, o->kill_deadline_ms,
			       buf, (unsigned long long)seed, seq);
			return SEQ_HANG;
		}
	}
}

/* The end of a batch: strays, files, IPC objects, the terminal. */
static int cleanup(const struct options *o)
{
	char why[256];
	int hung = kill_strays(o->kill_deadline_ms, why, sizeof(why));
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
		run_seq(o, seed, s);
		cleanup(o);
		if (!counters_settled(&before, why, sizeof(why))) {
			found = true;
			printf("sysfuzz: LEAK seed %llu seq %u leaks alone: %s\n"
			       "sysfuzz: replay: sysfuzz --seed %llu --seq %u --replay\n",
			       (unsigned long long)seed, s, why, (unsigned long long)seed, s);
		}
	}
	for (uint32_t k = 2; !found && k <= n; k++) {
		if (!counters_read(&before))
			return true;
		for (uint32_t s = first; s < first + k; s++)
			run_seq(o, seed, s);
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

struct seed_stats {
	unsigned long seqs, calls, stalled, crashed, hangs, leaks;
};

static void run_seed(const struct options *o, uint64_t seed, double budget_ms,
		     struct counters *base, bool *have_base, struct seed_stats *st)
{
	double start = now_ms();
	uint32_t seq = 0;
	char why[512];

	memset(st, 0, sizeof(*st));
	while (now_ms() - start < budget_ms) {
		uint32_t first = seq;
		unsigned long calls0 = total.calls;
		/* After a panic, the last of these lines names the batch. */
		printf("sysfuzz: seed %llu seqs %u..%u\n", (unsigned long long)seed, first,
		       first + o->batch - 1);
		for (int i = 0; i < o->batch; i++, seq++) {
			switch (run_seq(o, seed, seq)) {
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
		.seconds = 30,
		.batch = 16,
		.leak_checks = true,
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

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
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
		enum seq_result r = run_seq(&o, o.seeds[0], (uint32_t)o.seq);
		int hung = cleanup(&o);
		printf("sysfuzz: seq %ld: %s, %u calls\n", o.seq,
		       r == SEQ_OK ? "ended" : r == SEQ_CRASHED ? "killed by a signal" :
		       r == SEQ_STALLED ? "stalled, killed" : "HANG", sh->calls_done);
		finish(r == SEQ_HANG || hung);
	}

	printf("sysfuzz: %u syscalls described, %d seeds, %d s, %d calls a sequence, batches of %d%s\n",
	       ncalls, o.nseeds, o.seconds, o.calls_per_seq, o.batch,
	       o.leak_checks ? ", leak checks on" : "");
	/* Warm-up: caches that fill once (our own heap, page tables) settle. */
	struct options warm = o;
	for (uint32_t s = 0; s < 4; s++)
		run_seq(&warm, 0xfeedull, s);
	cleanup(&o);
	bool have_base = o.leak_checks && counters_read(&base);

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
		       "%lu killed by signals, %lu hangs, %lu leaks)\n",
		       (unsigned long long)o.seeds[i], bad ? "FAIL" : "PASS", st.seqs, st.calls,
		       secs > 0 ? st.calls / secs : 0.0, st.stalled, st.crashed, st.hangs, st.leaks);
		if (st.hangs)
			break; /* a stuck task: the rest would not be trustworthy */
	}
	double secs = (now_ms() - t0) / 1000;
	printf("sysfuzz: %lu sequences, %lu calls in %.1f s (%.0f calls/s), %lu hangs, %lu leaks\n",
	       total.seqs, total.calls, secs, secs > 0 ? total.calls / secs : 0.0, total.hangs,
	       total.leaks);
	print_coverage();
	printf("sysfuzz: RESULT %s\n", failed ? "FAIL" : "PASS");
	finish(failed);
}
