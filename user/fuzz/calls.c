/*
 * The fuzzer's description of every syscall Ferrite implements
 * (the src/syscall .list files): the kind of each argument (sysfuzz.h) and, for
 * flags and enumerations, the set its values come from (args.c).
 *
 * Left out on purpose, because they end or take over the whole test:
 *   exit, exit_group   the sequence ends by itself
 *   reboot             would stop the machine
 * Made safe:
 *   fork, vfork, clone the new task makes one exit syscall at once
 *                      (child.c), so no two copies of the fuzzer run
 *   execve             only of scratch files (a mutated ELF among them),
 *                      never of a real program
 *   kill and friends   only the sequence's own processes (A_KILLPID)
 *   mmap/munmap/...    addresses mostly in the arena, which lies in a
 *                      64 MiB reservation, far from the shared page
 *   paths              created, renamed, linked, chdir'ed to and pointed
 *                      at by symlinks only under the scratch directory;
 *                      directory descriptors only of scratch directories
 *                      (and /proc), never of "/" opened by a call
 * Blocking calls (pause, a read of an empty pipe, a futex wait) stay in:
 * the parent ends a sequence that stops making progress.
 * bind takes only internet addresses (A_INETADDR): a random sockaddr_un
 * would create socket nodes at random paths outside the scratch directory.
 * chroot is left out: a sequence chrooted into its scratch directory
 * would lose /proc and its own binary for the rest of its life. mlockall
 * is left out: MCL_FUTURE makes every later mapping resident, and a root
 * child's 2 GiB mmap would then take all of memory.
 */
#include "sysfuzz.h"
#include <sys/syscall.h>
#include "../../include/uapi/ferrite_port.h"

#define CALL(n, f, ...) { #n, SYS_##n, f, __VA_ARGS__ }
#define PORT(n, f, ...) { "ferrite_" #n, __NR_ferrite_##n, f, __VA_ARGS__ }

/* VALID_BUF: pointer arguments of this call are always valid (args.c). */
const struct call calls[] = {
	/* files */
	CALL(openat, RET_FD, { A_DIRFD, A_WPATH, A_FLAGS, A_MODE }, { 0, 0, S_OPEN }),
#ifdef SYS_open
	CALL(open, RET_FD, { A_PATH, A_FLAGS, A_MODE }, { 0, S_OPEN }),
	CALL(creat, RET_FD, { A_WPATH, A_MODE }),
#endif
	CALL(close, 0, { A_FD }),
	CALL(close_range, RARE, { A_FD, A_FD, A_INT }),
	CALL(read, 0, { A_FD, A_OUTBUF, A_LEN }),
	CALL(write, 0, { A_FD, A_BUF, A_LEN }),
	CALL(readv, 0, { A_FD, A_IOVEC, A_IOVCNT }),
	CALL(writev, 0, { A_FD, A_IOVEC, A_IOVCNT }),
	CALL(pread64, 0, { A_FD, A_OUTBUF, A_LEN, A_OFFSET }),
	CALL(pwrite64, 0, { A_FD, A_BUF, A_LEN, A_OFFSET }),
	CALL(preadv, 0, { A_FD, A_IOVEC, A_IOVCNT, A_OFFSET }),
	CALL(pwritev, 0, { A_FD, A_IOVEC, A_IOVCNT, A_OFFSET }),
	CALL(lseek, 0, { A_FD, A_OFFSET, A_ENUM }, { 0, 0, S_WHENCE }),
	CALL(sendfile, 0, { A_FD, A_FD, A_OUTBUF, A_LEN }),
	CALL(dup, RET_FD, { A_FD }),
#ifdef SYS_dup2
	CALL(dup2, RET_FD, { A_FD, A_FD }),
#endif
	CALL(dup3, RET_FD, { A_FD, A_FD, A_FLAGS }, { 0, 0, S_DUP3 }),
	CALL(fcntl, RET_FD, { A_FD, A_ENUM, A_INT }, { 0, S_FCNTL }),
	CALL(ioctl, 0, { A_FD, A_ENUM, A_OUTBUF }, { 0, S_IOCTL }),
	CALL(fstat, 0, { A_FD, A_OUTBUF }),
	CALL(newfstatat, 0, { A_DIRFD, A_PATH, A_OUTBUF, A_FLAGS }, { 0, 0, 0, S_AT }),
#ifdef SYS_stat
	CALL(stat, 0, { A_PATH, A_OUTBUF }),
	CALL(lstat, 0, { A_PATH, A_OUTBUF }),
#endif
	CALL(statx, 0, { A_DIRFD, A_PATH, A_FLAGS, A_FLAGS, A_OUTBUF }, { 0, 0, S_AT, S_STATX }),
	CALL(statfs, 0, { A_PATH, A_OUTBUF }),
	CALL(fstatfs, 0, { A_FD, A_OUTBUF }),
#ifdef SYS_getdents
	CALL(getdents, 0, { A_FD, A_OUTBUF, A_LEN }),
#endif
	CALL(getdents64, 0, { A_FD, A_OUTBUF, A_LEN }),
	CALL(getcwd, 0, { A_OUTBUF, A_LEN }),
	CALL(chdir, 0, { A_WPATH }),
	CALL(fchdir, 0, { A_DIRFD }),
	CALL(umask, 0, { A_MODE }),
	CALL(mkdirat, 0, { A_DIRFD, A_WPATH, A_MODE }),
#ifdef SYS_mkdir
	CALL(mkdir, 0, { A_WPATH, A_MODE }),
	CALL(mknod, 0, { A_WPATH, A_MODE, A_INT }),
	CALL(unlink, 0, { A_WPATH }),
	CALL(rmdir, 0, { A_WPATH }),
	CALL(rename, 0, { A_WPATH, A_WPATH }),
	CALL(link, 0, { A_WPATH, A_WPATH }),
	CALL(symlink, 0, { A_WPATH, A_WPATH }),
	CALL(readlink, 0, { A_PATH, A_OUTBUF, A_LEN }),
	CALL(access, 0, { A_PATH, A_FLAGS }, { 0, S_ACCESS }),
	CALL(chmod, 0, { A_WPATH, A_MODE }),
	CALL(chown, 0, { A_WPATH, A_UID, A_UID }),
	CALL(lchown, 0, { A_WPATH, A_UID, A_UID }),
#endif
	CALL(mknodat, 0, { A_DIRFD, A_WPATH, A_MODE, A_INT }),
	CALL(unlinkat, 0, { A_DIRFD, A_WPATH, A_FLAGS }, { 0, 0, S_AT }),
#ifdef SYS_renameat
	CALL(renameat, 0, { A_DIRFD, A_WPATH, A_DIRFD, A_WPATH }),
#endif
	CALL(renameat2, 0, { A_DIRFD, A_WPATH, A_DIRFD, A_WPATH, A_FLAGS }, { 0, 0, 0, 0, S_RENAME }),
	CALL(linkat, 0, { A_DIRFD, A_WPATH, A_DIRFD, A_WPATH, A_FLAGS }, { 0, 0, 0, 0, S_AT }),
	CALL(symlinkat, 0, { A_WPATH, A_DIRFD, A_WPATH }),
	CALL(readlinkat, 0, { A_DIRFD, A_PATH, A_OUTBUF, A_LEN }),
	CALL(faccessat, 0, { A_DIRFD, A_PATH, A_FLAGS, A_FLAGS }, { 0, 0, S_ACCESS, S_AT }),
	CALL(faccessat2, 0, { A_DIRFD, A_PATH, A_FLAGS, A_FLAGS }, { 0, 0, S_ACCESS, S_AT }),
	CALL(fchmod, 0, { A_FD, A_MODE }),
	CALL(fchmodat, 0, { A_DIRFD, A_WPATH, A_MODE, A_FLAGS }, { 0, 0, 0, S_AT }),
#ifdef SYS_fchmodat2
	CALL(fchmodat2, 0, { A_DIRFD, A_WPATH, A_MODE, A_FLAGS }, { 0, 0, 0, S_AT }),
#endif
	CALL(fadvise64, 0, { A_FD, A_INT, A_INT, A_INT }),
	CALL(fchown, 0, { A_FD, A_UID, A_UID }),
	CALL(fchownat, 0, { A_DIRFD, A_WPATH, A_UID, A_UID, A_FLAGS }, { 0, 0, 0, 0, S_AT }),
	CALL(utimensat, 0, { A_DIRFD, A_WPATH, A_TIMESPEC, A_FLAGS }, { 0, 0, 0, S_AT }),
	CALL(truncate, 0, { A_WPATH, A_OFFSET }),
	CALL(ftruncate, 0, { A_FD, A_OFFSET }),
	CALL(sync, RARE, { 0 }),
	CALL(syncfs, 0, { A_FD }),
	CALL(fsync, 0, { A_FD }),
	CALL(fdatasync, 0, { A_FD }),
	CALL(ppoll, 0, { A_POLLFD, A_NFDS, A_TIMESPEC, A_SIGSET, A_SIGSETSIZE }),
#ifdef SYS_poll
	CALL(poll, 0, { A_POLLFD, A_NFDS, A_MSECS }),
	CALL(select, 0, { A_NFDS, A_FDSET, A_FDSET, A_FDSET, A_TIMESPEC }),
#endif
	CALL(pselect6, 0, { A_NFDS, A_FDSET, A_FDSET, A_FDSET, A_TIMESPEC, A_BUF }),

	/* System V IPC */
	CALL(shmget, RET_SHMID, { A_IPCKEY, A_LEN, A_FLAGS }, { 0, 0, S_IPC }),
	CALL(shmat, RET_SHMADDR, { A_SHMID, A_SHMADDR, A_FLAGS }, { 0, 0, S_SHMFLG }),
	CALL(shmdt, 0, { A_SHMADDR }),
	CALL(shmctl, 0, { A_SHMID, A_ENUM, A_OUTBUF }, { 0, S_SHMCMD }),
	CALL(msgget, RET_MSQID, { A_IPCKEY, A_FLAGS }, { 0, S_IPC }),
	CALL(msgsnd, 0, { A_MSQID, A_MSGBUF, A_LEN, A_FLAGS }, { 0, 0, 0, S_MSGFLG }),
	CALL(msgrcv, 0, { A_MSQID, A_OUTBUF, A_LEN, A_INT, A_FLAGS }, { 0, 0, 0, 0, S_MSGFLG }),
	CALL(msgctl, 0, { A_MSQID, A_ENUM, A_OUTBUF }, { 0, S_IPCCMD }),
	CALL(semget, RET_SEMID, { A_IPCKEY, A_INT, A_FLAGS }, { 0, 0, S_IPC }),
	CALL(semop, 0, { A_SEMID, A_SEMBUF, A_IOVCNT }),
	CALL(semtimedop, 0, { A_SEMID, A_SEMBUF, A_IOVCNT, A_TIMESPEC }),
	CALL(semctl, 0, { A_SEMID, A_INT, A_ENUM, A_OUTBUF }, { 0, 0, S_SEMCMD }),

	/* signals */
	CALL(rt_sigreturn, RARE, { 0 }),
	CALL(sigaltstack, 0, { A_STACK_T, A_OUTBUF }),
	CALL(rt_sigsuspend, RARE, { A_SIGSET, A_SIGSETSIZE }),
	CALL(rt_sigtimedwait, 0, { A_SIGSET, A_OUTBUF, A_TIMESPEC, A_SIGSETSIZE }),
	CALL(rt_sigqueueinfo, 0, { A_KILLPID, A_SIGNO, A_BUF }),
	CALL(rt_tgsigqueueinfo, 0, { A_KILLPID, A_KILLPID, A_SIGNO, A_BUF }),
#ifdef SYS_pause
	CALL(pause, RARE, { 0 }),
#endif
	CALL(rt_sigaction, 0, { A_SIGNO, A_SIGACTION, A_OUTBUF, A_SIGSETSIZE }),
	CALL(rt_sigprocmask, 0, { A_ENUM, A_SIGSET, A_OUTBUF, A_SIGSETSIZE }, { S_SIGHOW }),
	CALL(rt_sigpending, 0, { A_OUTBUF, A_SIGSETSIZE }),
	CALL(kill, 0, { A_KILLPID, A_SIGNO }),
	CALL(tkill, 0, { A_KILLPID, A_SIGNO }),
	CALL(tgkill, 0, { A_KILLPID, A_KILLPID, A_SIGNO }),

	/* misc */
#ifdef SYS_arch_prctl
	CALL(arch_prctl, RARE, { A_ENUM, A_OUTBUF }, { S_ARCHPRCTL }),
#endif
	CALL(uname, 0, { A_OUTBUF }),
	CALL(sysinfo, 0, { A_OUTBUF }),
	CALL(getrandom, 0, { A_OUTBUF, A_LEN, A_FLAGS }, { 0, 0, S_GRND }),

	/* memory */
	CALL(brk, 0, { A_ADDR }),
	CALL(mmap, RET_ADDR, { A_ADDR, A_MAPLEN, A_FLAGS, A_FLAGS, A_FD, A_OFFSET }, { 0, 0, S_PROT, S_MAP }),
	CALL(munmap, 0, { A_ADDR, A_MAPLEN }),
	CALL(mprotect, 0, { A_ADDR, A_MAPLEN, A_FLAGS }, { 0, 0, S_PROT }),
	CALL(madvise, 0, { A_ADDR, A_MAPLEN, A_ENUM }, { 0, 0, S_MADV }),
	CALL(msync, 0, { A_ADDR, A_MAPLEN, A_FLAGS }, { 0, 0, S_MSYNC }),

	/* pipes */
	CALL(pipe2, RET_PIPE, { A_OUTBUF, A_FLAGS }, { 0, S_PIPE }),
#ifdef SYS_pipe
	CALL(pipe, RET_PIPE, { A_OUTBUF }),
#endif

	/* ports */
	PORT(port_create, RET_FD, { A_PORTNAME, A_FLAGS }, { 0, S_PORT }),
	PORT(port_connect, RET_FD, { A_PORTNAME, A_FLAGS }, { 0, S_PORT }),
	PORT(port_send, 0, { A_PORTFD, A_PORTMSG, A_FLAGS }, { 0, 0, S_PORT }),
	PORT(port_recv, RET_TOKEN, { A_PORTFD, A_PORTMSG, A_FLAGS, A_TIMESPEC }, { 0, 0, S_PORT }),
	PORT(port_call, 0, { A_PORTFD, A_PORTMSG, A_PORTMSG, A_FLAGS, A_TIMESPEC }, { 0, 0, 0, S_PORT }),
	PORT(port_reply, 0, { A_PORTFD, A_TOKEN, A_PORTMSG }),
	PORT(port_destroy, 0, { A_PORTFD }),
	PORT(port_reply_recv, RET_TOKEN, { A_PORTFD, A_TOKEN, A_PORTMSG, A_PORTMSG, A_FLAGS, A_TIMESPEC },
	     { 0, 0, 0, 0, S_PORT }),

	/* processes */
	CALL(clone, RET_PID | CHILD_EXITS, { A_CLONEFLAGS, A_ADDR, A_OUTBUF, A_OUTBUF, A_OUTBUF }),
#ifdef SYS_fork
	CALL(fork, RET_PID | CHILD_EXITS, { 0 }),
	CALL(vfork, RET_PID | CHILD_EXITS, { 0 }),
#endif
	CALL(execve, RARE, { A_WPATH, A_ARGV, A_ARGV }),
	CALL(wait4, 0, { A_PID, A_OUTBUF, A_FLAGS, A_OUTBUF }, { 0, 0, S_WAIT }),
	CALL(waitid, 0, { A_ENUM, A_PID, A_OUTBUF, A_FLAGS, A_OUTBUF }, { S_WAITID, 0, 0, S_WAIT }),
	CALL(getpid, 0, { 0 }),
	CALL(getppid, 0, { 0 }),
	CALL(gettid, 0, { 0 }),
	CALL(set_tid_address, 0, { A_FUTEX }),
	CALL(set_robust_list, 0, { A_BUF, A_LEN }),
	CALL(get_robust_list, 0, { A_PID, A_OUTBUF, A_OUTBUF }),
	CALL(sched_yield, 0, { 0 }),
	CALL(getuid, 0, { 0 }),
	CALL(geteuid, 0, { 0 }),
	CALL(getgid, 0, { 0 }),
	CALL(getegid, 0, { 0 }),
	CALL(getresuid, 0, { A_OUTBUF, A_OUTBUF, A_OUTBUF }),
	CALL(getresgid, 0, { A_OUTBUF, A_OUTBUF, A_OUTBUF }),
	CALL(setuid, RARE, { A_UID }),
	CALL(setgid, RARE, { A_UID }),
	CALL(setreuid, RARE, { A_UID, A_UID }),
	CALL(setregid, RARE, { A_UID, A_UID }),
	CALL(setresuid, RARE, { A_UID, A_UID, A_UID }),
	CALL(setresgid, RARE, { A_UID, A_UID, A_UID }),
	CALL(getgroups, 0, { A_INT, A_OUTBUF }),
	CALL(setgroups, 0, { A_INT, A_BUF }),
	CALL(setfsuid, RARE, { A_UID }),
	CALL(setfsgid, RARE, { A_UID }),
	CALL(getpgid, 0, { A_PID }),
	CALL(setpgid, 0, { A_PID, A_PID }),
#ifdef SYS_getpgrp
	CALL(getpgrp, 0, { 0 }),
#endif
	CALL(getsid, 0, { A_PID }),
	CALL(setsid, 0, { 0 }),
	CALL(prlimit64, 0, { A_PID, A_RLIMIT_RES, A_RLIMIT, A_OUTBUF }),
	CALL(getrlimit, 0, { A_RLIMIT_RES, A_OUTBUF }),
	CALL(setrlimit, 0, { A_RLIMIT_RES, A_RLIMIT }),
	CALL(sched_getaffinity, 0, { A_PID, A_LEN, A_OUTBUF }),
	CALL(sched_setaffinity, 0, { A_PID, A_LEN, A_CPUSET }),
	CALL(unshare, 0, { A_INT }),
	CALL(getpriority, 0, { A_INT, A_INT }),
	CALL(setpriority, 0, { A_INT, A_INT, A_INT }),
	CALL(prctl, 0, { A_ENUM, A_INT, A_OUTBUF, A_INT, A_INT }, { S_PRCTL }),
	CALL(futex, 0, { A_FUTEX, A_ENUM, A_INT, A_TIMESPEC, A_FUTEX, A_INT }, { 0, S_FUTEX }),

	/* time */
	CALL(nanosleep, 0, { A_TIMESPEC, A_OUTBUF }),
	CALL(clock_gettime, 0, { A_ENUM, A_OUTBUF }, { S_CLOCK }),
	CALL(clock_getres, 0, { A_ENUM, A_OUTBUF }, { S_CLOCK }),
	CALL(clock_nanosleep, 0, { A_ENUM, A_FLAGS, A_TIMESPEC, A_OUTBUF }, { S_CLOCK, S_TIMER }),
	CALL(gettimeofday, 0, { A_OUTBUF, A_OUTBUF }),
	CALL(times, 0, { A_OUTBUF }),
#ifdef SYS_time
	CALL(time, 0, { A_OUTBUF }),
#endif
	CALL(clock_settime, RARE, { A_ENUM, A_TIMESPEC }, { S_CLOCK }),
	CALL(settimeofday, RARE, { A_TIMESPEC, A_OUTBUF }),
#ifdef SYS_alarm
	CALL(alarm, RARE, { A_INT }),
#endif
	CALL(setitimer, RARE, { A_INT, A_BUF, A_OUTBUF }),
	CALL(getitimer, 0, { A_INT, A_OUTBUF }),
	CALL(timer_create, RARE, { A_ENUM, A_BUF, A_OUTBUF }, { S_CLOCK }),
	CALL(timer_settime, 0, { A_INT, A_FLAGS, A_BUF, A_OUTBUF }, { 0, S_TIMER }),
	CALL(timer_gettime, 0, { A_INT, A_OUTBUF }),
	CALL(timer_getoverrun, 0, { A_INT }),
	CALL(timer_delete, 0, { A_INT }),
	CALL(getrusage, 0, { A_INT, A_OUTBUF }),
	CALL(getcpu, 0, { A_OUTBUF, A_OUTBUF, A_BUF }),
	CALL(personality, RARE, { A_INT }),
	CALL(membarrier, 0, { A_INT, A_INT, A_INT }),
	CALL(syslog, 0, { A_INT, A_OUTBUF, A_LEN }),

	/* memory and files added since */
	CALL(mremap, 0, { A_ADDR, A_MAPLEN, A_MAPLEN, A_INT, A_ADDR }),
	CALL(memfd_create, RET_FD, { A_WPATH, A_INT }),
	CALL(mincore, 0, { A_ADDR, A_MAPLEN, A_OUTBUF }),
	CALL(mlock, 0, { A_ADDR, A_MAPLEN }),
	CALL(mlock2, 0, { A_ADDR, A_MAPLEN, A_INT }),
	CALL(munlock, 0, { A_ADDR, A_MAPLEN }),
	CALL(munlockall, 0, { 0 }),
	CALL(getxattr, 0, { A_PATH, A_BUF, A_OUTBUF, A_LEN }),
	CALL(fgetxattr, 0, { A_FD, A_BUF, A_OUTBUF, A_LEN }),
	CALL(listxattr, 0, { A_PATH, A_OUTBUF, A_LEN }),
	CALL(fsetxattr, 0, { A_FD, A_BUF, A_BUF, A_LEN, A_INT }),

	/* event descriptors */
	CALL(epoll_create1, RET_FD, { A_INT }),
	CALL(epoll_ctl, 0, { A_FD, A_INT, A_FD, A_BUF }),
#ifdef SYS_epoll_wait
	CALL(epoll_wait, 0, { A_FD, A_OUTBUF, A_INT, A_MSECS }),
#endif
	CALL(epoll_pwait, 0, { A_FD, A_OUTBUF, A_INT, A_MSECS, A_SIGSET, A_SIGSETSIZE }),
	CALL(eventfd2, RET_FD, { A_INT, A_INT }),
	CALL(timerfd_create, RET_FD, { A_ENUM, A_INT }, { S_CLOCK }),
	CALL(timerfd_settime, 0, { A_FD, A_INT, A_BUF, A_OUTBUF }),
	CALL(timerfd_gettime, 0, { A_FD, A_OUTBUF }),
	CALL(signalfd4, RET_FD, { A_FD, A_SIGSET, A_SIGSETSIZE, A_INT }),
	CALL(pidfd_open, RET_FD, { A_PID, A_INT }),
	CALL(pidfd_send_signal, 0, { A_FD, A_SIGNO, A_BUF, A_INT }),

	/* sockets: AF_UNIX, and AF_INET/AF_INET6 on the loopback */
	CALL(socket, RET_FD, { A_ENUM, A_ENUM, A_INT }, { S_SOCKFAM, S_SOCKTYPE }),
	CALL(socketpair, 0, { A_INT, A_INT, A_INT, A_OUTBUF }),
	CALL(connect, 0, { A_FD, A_BUF, A_LEN }),
	CALL(connect, 0, { A_FD, A_INETADDR, A_LEN }),
	CALL(bind, 0, { A_FD, A_INETADDR, A_LEN }),
	CALL(listen, 0, { A_FD, A_INT }),
	CALL(accept4, RET_FD, { A_FD, A_OUTBUF, A_OUTBUF, A_INT }),
	CALL(getsockname, 0, { A_FD, A_OUTBUF, A_OUTBUF }),
	CALL(getpeername, 0, { A_FD, A_OUTBUF, A_OUTBUF }),
	CALL(sendto, 0, { A_FD, A_BUF, A_LEN, A_INT, A_BUF, A_LEN }),
	CALL(recvfrom, 0, { A_FD, A_OUTBUF, A_LEN, A_INT, A_OUTBUF, A_OUTBUF }),
	CALL(sendmsg, 0, { A_FD, A_MSGHDR, A_INT }),
	CALL(recvmsg, 0, { A_FD, A_MSGHDR, A_INT }),
	CALL(shutdown, 0, { A_FD, A_INT }),
	CALL(setsockopt, 0, { A_FD, A_INT, A_INT, A_BUF, A_LEN }),
	CALL(getsockopt, 0, { A_FD, A_INT, A_INT, A_OUTBUF, A_OUTBUF }),
};

const unsigned ncalls = sizeof(calls) / sizeof(calls[0]);
_Static_assert(sizeof(calls) / sizeof(calls[0]) <= COVER_CALLS, "coverage table too small");
