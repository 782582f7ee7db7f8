/* Private interfaces between the files of src/proc. */
#pragma once
#include <ferrite/task.h>
#include <ferrite/cpu.h>

#define PID_MAX 32768

/* pid.c: Lock: pid_lock guards the bitmap and both hash tables. */
pid_t pid_alloc(void); /* or -EAGAIN */
/* Exactly pid (clone3's set_tid): pid, or -EEXIST when it is taken. */
pid_t pid_alloc_exact(pid_t pid);
void pid_free(pid_t pid);
void task_hash(struct task *t);
void task_unhash(struct task *t);
void process_hash(struct process *p);
void process_unhash(struct process *p);

/* task.c */
/* Return: a new task (refcount 1, held by the scheduler once started) of
 * process p (reference taken), with a kernel stack, state TASK_RUNNING but
 * not on any run queue, or NULL. tid is set by the caller. */
struct task *task_alloc(struct process *p);
/* Return: a new process (refcount 1) with default limits, no mm/files/fs/
 * sighand and pid 0 (set by the caller), or NULL. */
struct process *process_alloc(void);
/* Link t into p->threads (Lock: p->lock taken here). */
void process_add_thread(struct process *p, struct task *t);
/* Start a new task: run fn(arg) in kernel mode when first scheduled. */
void task_start(struct task *t, void (*fn)(void *), void *arg);
/* Hash p and add it to the all-process list. */
void process_publish(struct process *p);

/* sched.c: called first by every new task (and after each switch). */
void sched_finish_switch(void);

/* exec.c */
struct exec_args;
/* Return: kernel copies of path, argv, envp, or ERR_PTR. */
struct exec_args *exec_args_from_kernel(const char *path, char *const argv[], char *const envp[]);
/* The path stored by exec_args_from_kernel (borrowed). */
const char *exec_args_path(const struct exec_args *a);
void exec_args_free(struct exec_args *a);
/* Replace the current process image. 0 (tf ready for user mode) or -errno
 * (the old image is intact). Consumes args. */
int exec_current(const char *path, struct exec_args *args);

/* exit.c */
/* t exits or execs: release the caller of the vfork that made it. */
void vfork_complete(struct task *t);
/* Install mm (reference consumed; NULL at exit) as p's address space and
 * give up the old one: System V shm attachments are dropped when no other
 * process (CLONE_VM) still uses it. The caller has switched this CPU off
 * the old page table. Lock: takes proc_tree_lock (guards p->mm changes). */
void process_replace_mm(struct process *p, struct mm *mm);
void task_return_to_user(void *unused) __noreturn;

/* The rusage of wait4/waitid/getrusage: CPU times, every other field 0
 * (src/proc/sys_rusage.c). */
struct rusage;
void rusage_fill(struct rusage *ru, uint64_t utime_ns, uint64_t stime_ns);

/* task.c: a KSTACK_SIZE kernel stack (its base) with an absent guard page
 * below it, or NULL; also the secondary CPUs' idle stacks (smp.c). */
void *kstack_alloc(void);
void kstack_free(void *stack);

/* protect.c, "idle-stack-overflow": the CPU whose idle loop must call
 * selftest_idle_overflow() (recurse into its stack's guard), or -1. */
extern int selftest_idle_cpu;
void selftest_idle_overflow(void) __noreturn;
