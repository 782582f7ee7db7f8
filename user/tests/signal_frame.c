/*
 * The handler's frame is the architecture's Linux rt_sigframe, read back by
 * rt_sigreturn: siginfo of kill (SI_USER) and raise/tgkill (SI_TKILL),
 * uc_sigmask holds the mask of the interrupted code and a change to it
 * takes effect on return, and a change to a saved integer register (the
 * syscall's return value) and to the saved FP control register (rounding
 * mode) is what the interrupted code continues with.
 */
#include "common.h"
#include <sys/syscall.h>
#include <ucontext.h>

static volatile int got_code, got_pid, usr2_in_uc_mask;
static volatile long set_return; /* 0: leave the saved registers alone */
static volatile int set_round_up;

#if defined(__x86_64__)
#define MXCSR_RC_UP (2u << 13)
#define MXCSR_RC_MASK (3u << 13)

static void set_saved_return(ucontext_t *uc, long v) { uc->uc_mcontext.gregs[REG_RAX] = v; }

static void set_saved_round_up(ucontext_t *uc)
{
	uc->uc_mcontext.fpregs->mxcsr = (uc->uc_mcontext.fpregs->mxcsr & ~MXCSR_RC_MASK) | MXCSR_RC_UP;
}

static int round_mode_is_up(void)
{
	unsigned int m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	return (m & MXCSR_RC_MASK) == MXCSR_RC_UP;
}

static void round_to_nearest(void)
{
	unsigned int m;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	m &= ~MXCSR_RC_MASK;
	__asm__ volatile("ldmxcsr %0" ::"m"(m));
}
#elif defined(__riscv)
#define FRM_SHIFT 5
#define FRM_RUP 3u

static void set_saved_return(ucontext_t *uc, long v) { uc->uc_mcontext.__gregs[10] = v; }

static void set_saved_round_up(ucontext_t *uc)
{
	unsigned int *fcsr = &uc->uc_mcontext.__fpregs.__d.__fcsr;
	*fcsr = (*fcsr & ~(7u << FRM_SHIFT)) | (FRM_RUP << FRM_SHIFT);
}

static int round_mode_is_up(void)
{
	unsigned long frm;
	__asm__ volatile("frrm %0" : "=r"(frm));
	return frm == FRM_RUP;
}

static void round_to_nearest(void) { __asm__ volatile("fsrmi 0"); }
#else
#error "unsupported architecture"
#endif

static void on_usr1(int signo, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)signo;
	got_code = si->si_code;
	got_pid = si->si_pid;
	usr2_in_uc_mask = sigismember(&uc->uc_sigmask, SIGUSR2);
	sigaddset(&uc->uc_sigmask, SIGTERM);
	if (set_return)
		set_saved_return(uc, set_return);
	if (set_round_up)
		set_saved_round_up(uc);
}

int main(void)
{
	struct sigaction sa;
	sigset_t set, cur;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0, "block SIGUSR2");

	CHECK(kill(getpid(), SIGUSR1) == 0, "kill");
	CHECK(got_code == SI_USER && got_pid == getpid(), "kill: code %d pid %d", got_code,
	      got_pid);
	CHECK(usr2_in_uc_mask == 1, "uc_sigmask lacks the blocked SIGUSR2");
	CHECK(sigprocmask(SIG_BLOCK, NULL, &cur) == 0, "sigprocmask");
	CHECK(sigismember(&cur, SIGTERM) && sigismember(&cur, SIGUSR2) &&
		      !sigismember(&cur, SIGUSR1),
	      "mask after return: uc_sigmask not applied");

	got_code = 0;
	CHECK(raise(SIGUSR1) == 0, "raise");
	CHECK(got_code == SI_TKILL && got_pid == getpid(), "raise: code %d pid %d", got_code,
	      got_pid);

	set_return = 4242;
	long r = syscall(SYS_kill, getpid(), SIGUSR1);
	CHECK(r == 4242, "saved return register not restored: %ld", r);
	set_return = 0;

	set_round_up = 1;
	CHECK(kill(getpid(), SIGUSR1) == 0, "kill (FP)");
	int up = round_mode_is_up();
	round_to_nearest();
	CHECK(up, "saved FP rounding mode not restored");
	return 0;
}
