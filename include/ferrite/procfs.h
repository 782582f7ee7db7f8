/*
 * procfs: the /proc pseudo file system (src/fs/procfs*.c).
 *
 * Nothing is stored: each lookup makes a fresh inode naming one entry (and
 * a pid for the per-process ones), and opening a file renders its whole
 * text into a private buffer that reads copy from, so a reader sees one
 * consistent snapshot (fail-nth alone is read live). Inode numbers:
 * ((fd or tid + 1) << 40) | ((pid + 1) << 8) | entry type.
 * Locking: the renderers take proc_tree_lock / process->lock / mm->lock
 * only while copying fields into locals, never across a user copy.
 */
#pragma once
#include <ferrite/types.h>

/* Make the procfs super block and mount it on /proc (after vfs_init). */
void procfs_init(void);

/* ---- for the renderers (src/fs/procfs_*.c) ---- */

/* A growable text buffer; a failed allocation sets oom and drops output. */
struct pbuf {
	char *buf;
	size_t len, cap;
	bool oom;
};
void pbuf_printf(struct pbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pbuf_put(struct pbuf *b, const void *data, size_t n);

/* Renderers: write the file's text for pid (0 for the global files).
 * 0 or -errno (-ESRCH when the process is gone). */
int procfs_show_uptime(struct pbuf *b, pid_t pid);
int procfs_show_meminfo(struct pbuf *b, pid_t pid);
int procfs_show_stat(struct pbuf *b, pid_t pid);
int procfs_show_cpuinfo(struct pbuf *b, pid_t pid);
int procfs_show_mounts(struct pbuf *b, pid_t pid);
int procfs_show_mountinfo(struct pbuf *b, pid_t pid);
int procfs_show_filesystems(struct pbuf *b, pid_t pid);
int procfs_show_loadavg(struct pbuf *b, pid_t pid);
int procfs_show_version(struct pbuf *b, pid_t pid);
int procfs_show_counters(struct pbuf *b, pid_t pid);
int procfs_show_diskstats(struct pbuf *b, pid_t pid); /* procfs_io.c */
int procfs_show_idle(struct pbuf *b, pid_t pid);
int procfs_show_pid_stat(struct pbuf *b, pid_t pid);
int procfs_show_pid_status(struct pbuf *b, pid_t pid);
int procfs_show_pid_cmdline(struct pbuf *b, pid_t pid);
int procfs_show_pid_comm(struct pbuf *b, pid_t pid);
int procfs_show_pid_statm(struct pbuf *b, pid_t pid);

/* Settings (src/fs/procfs_sysctl.c): show renders the value, store parses
 * the text of one write (NUL-terminated, len bytes): 0 or -errno. */
int procfs_show_nothing(struct pbuf *b, pid_t pid);
int procfs_store_sysrq(const char *text, size_t len);
/* /proc/ferrite/selftest (src/proc/protect.c): "smap" or "smep". */
int protect_selftest(const char *text, size_t len);
int procfs_show_panic(struct pbuf *b, pid_t pid);
int procfs_store_panic(const char *text, size_t len);
/* /proc/ferrite/fault_inject (src/mm/fault_inject.c): failslab='s text. */
int procfs_show_fault_inject(struct pbuf *b, pid_t pid);
int procfs_store_fault_inject(const char *text, size_t len);
int procfs_show_hung_task_timeout(struct pbuf *b, pid_t pid);
int procfs_store_hung_task_timeout(const char *text, size_t len);
int procfs_show_mmap_min_addr(struct pbuf *b, pid_t pid);
int procfs_store_mmap_min_addr(const char *text, size_t len);
/* ferrite.sysrq=1 on the command line: /proc/sysrq-trigger may crash. */
extern bool sysrq_crash_allowed;

/* /proc/PID/fd and fdinfo (src/fs/procfs_fd.c). */
struct file;
/* Return: a new reference to pid's file at fd, or NULL. */
struct file *procfs_fd_file(pid_t pid, int fd);
/* The first open descriptor of pid >= from, or -1. */
int procfs_fd_next(pid_t pid, int from);
/* f's link text into buf[size] (no NUL): length or -errno. */
ssize_t procfs_fd_describe(struct file *f, char *buf, size_t size);
int procfs_show_fdinfo(struct pbuf *b, pid_t pid, int fd);

/* /proc/PID/task/TID and fail-nth (src/fs/procfs_task.c). */
struct iobuf;
struct task;
/* The lowest tid >= from among pid's threads, or -1. */
pid_t procfs_task_next(pid_t pid, pid_t from);
/* Return: new reference to thread tid of process pid, or NULL. */
struct task *procfs_task_get(pid_t pid, pid_t tid);
/* fail-nth of thread tid of pid: its count as text at *pos ("%u\n"), or
 * a new count from one write. Bytes or -errno (-ESRCH: no such thread). */
ssize_t procfs_fail_nth_read(pid_t pid, pid_t tid, const struct iobuf *buf, off_t *pos);
ssize_t procfs_fail_nth_write(pid_t pid, pid_t tid, const struct iobuf *buf);
