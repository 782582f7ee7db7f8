/*
 * execve: replace the current process image with a static ELF (ET_EXEC or
 * static-pie ET_DYN) or a #! script. Everything that can fail happens on a
 * new address space first; only then does the process give up the old one
 * (the point of no return). Dynamic executables (PT_INTERP) get -ENOEXEC.
 * Locking: the new mm is private until installed; p->lock guards comm and
 * the thread list while other threads are told to leave.
 * Not yet: CLONE_FILES tables are not unshared on exec; setuid bits.
 */
#include <hal/hal_cpu.h>
#include <ferrite/elf.h>
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/vfs.h>
#include <ferrite/kmalloc.h>
#include <ferrite/random.h>
#include <ferrite/signal.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include <ferrite/user_return.h>
#include <ferrite/vdso.h>
#include <ferrite/vm.h>
#include <hal/hal_boot.h>
#include <hal/hal_context.h>
#include <hal/hal_mmu.h>
#include <hal/hal_timer.h>
#include <hal/hal_trap.h>
#include <uapi/time.h>
#include "exec.h"

#define EXEC_DEBUG 0
#define SCRIPT_DEPTH_MAX 4
#define BINPRM_BUF 256

#ifndef PROT_READ
#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#endif
#ifndef O_RDONLY
#define O_RDONLY 0
#endif

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_EXECFN 31
#define AT_SYSINFO_EHDR 33
#define AUXV_PAIRS 20

#define ELF_PLATFORM hal_elf_platform

/* Read exactly n bytes at off; -EIO on a short file. */
static int read_exact(struct file *f, void *buf, size_t n, off_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = kernel_read(f, (char *)buf + done, n - done, off + (off_t)done);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

static int prot_of(uint32_t p_flags)
{
	return ((p_flags & PF_R) ? PROT_READ : 0) | ((p_flags & PF_W) ? PROT_WRITE : 0) |
	       ((p_flags & PF_X) ? PROT_EXEC : 0);
}

/* Copy filesz bytes of the file at off to addr in mm. */
static int copy_segment(struct mm *mm, struct file *f, uint64_t off, uintptr_t addr, size_t len)
{
	enum { CHUNK = 16384 };
	__free(kfree) char *buf = kmalloc(CHUNK);

	if (!buf)
		return -ENOMEM;
	while (len) {
		size_t n = MIN(len, (size_t)CHUNK);
		int err = read_exact(f, buf, n, (off_t)off);
		if (err)
			return err;
		if (mm_copy_out(mm, addr, buf, n))
			return -EFAULT;
		off += n;
		addr += n;
		len -= n;
	}
	return 0;
}

/*
 * Fast path guards: can every PT_LOAD be mapped straight from the file?
 * Each segment's address and file offset must agree modulo the page size
 * (mmap's rule), the segments must come in address order with no page
 * holding two of them (each page gets exactly one segment's protection),
 * the file must be mappable (readable, with file operations), and hold
 * every segment's file bytes (else the copying path reports -EIO as before,
 * rather than a SIGBUS at first touch).
 */
static bool segments_mappable(struct file *f, const struct elf64_phdr *ph,
			      const struct elf_image *img)
{
	uintptr_t prev_end = 0;

	if (!(f->mode & FMODE_READ) || (f->mode & FMODE_PATH) || !f->ops)
		return false;
	for (unsigned i = 0; i < img->phnum; i++) {
		uintptr_t start = ph[i].p_vaddr + img->load_bias;

		if (ph[i].p_type != PT_LOAD)
			continue;
		if ((start - ph[i].p_offset) & (PAGE_SIZE - 1))
			return false;
		if (ALIGN_DOWN(start, PAGE_SIZE) < prev_end)
			return false;
		char last;
		if (ph[i].p_filesz &&
		    read_exact(f, &last, 1, (off_t)(ph[i].p_offset + ph[i].p_filesz - 1)))
			return false;
		prev_end = ALIGN_UP(start + ph[i].p_memsz, PAGE_SIZE);
	}
	return true;
}

/*
 * Map every PT_LOAD from the file as a private (copy-on-write) mapping with
 * its final protection, as Linux does: pages are read (or shared with the
 * page cache of a ramfs file) only when touched. A segment with bss gets
 * the tail of its last file page zeroed now (that page becomes a private
 * copy) and anonymous zero pages after it.
 */
static int map_segments(struct mm *mm, struct file *f, const struct elf64_phdr *ph,
			const struct elf_image *img)
{
	static const char zeros[256];
	long r;

	for (unsigned i = 0; i < img->phnum; i++) {
		uintptr_t start = ph[i].p_vaddr + img->load_bias;
		uintptr_t pstart = ALIGN_DOWN(start, PAGE_SIZE);
		uintptr_t file_end = start + ph[i].p_filesz;
		uintptr_t fpend = ALIGN_UP(file_end, PAGE_SIZE);
		uintptr_t pend = ALIGN_UP(start + ph[i].p_memsz, PAGE_SIZE);
		int prot = prot_of(ph[i].p_flags);

		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_filesz) {
			r = mm_mmap(mm, pstart, fpend - pstart, prot, MAP_FIXED | MAP_PRIVATE, f,
				    (off_t)(ph[i].p_offset - (start - pstart)));
			if (r < 0)
				return (int)r;
			if ((uintptr_t)r != pstart)
				return -ENOMEM;
		} else {
			fpend = pstart;
		}
		if (ph[i].p_memsz > ph[i].p_filesz) {
			/* bss: the rest of the last file page, then anonymous pages. */
			for (uintptr_t z = file_end; z < fpend && ph[i].p_filesz;) {
				size_t n = MIN(fpend - z, sizeof(zeros));
				if (mm_copy_out(mm, z, zeros, n))
					return -EFAULT;
				z += n;
			}
			if (fpend < pend) {
				r = mm_mmap(mm, fpend, pend - fpend, prot,
					    MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
				if (r < 0)
					return (int)r;
				if ((uintptr_t)r != fpend)
					return -ENOMEM;
			}
		}
	}
	return 0;
}

/* Map and fill every PT_LOAD of the image into mm, then apply protections. */
static int load_segments(struct mm *mm, struct file *f, const struct elf64_phdr *ph,
			 const struct elf_image *img)
{
	uintptr_t mapped_end = 0, prev_end = 0;
	int prev_prot = 0;
	long r;
	int err;

	if (segments_mappable(f, ph, img))
		return map_segments(mm, f, ph, img);
	/* General path: anonymous memory filled by copying. */
	for (unsigned i = 0; i < img->phnum; i++) {
		uintptr_t start = ph[i].p_vaddr + img->load_bias;
		uintptr_t pstart = ALIGN_DOWN(start, PAGE_SIZE);
		uintptr_t pend = ALIGN_UP(start + ph[i].p_memsz, PAGE_SIZE);
		uintptr_t from = MAX(pstart, mapped_end);

		if (ph[i].p_type != PT_LOAD)
			continue;
		if (from < pend) {
			r = mm_mmap(mm, from, pend - from, PROT_READ | PROT_WRITE,
				    MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
			if (r < 0)
				return (int)r;
			if ((uintptr_t)r != from)
				return -ENOMEM;
			mapped_end = pend;
		}
		err = copy_segment(mm, f, ph[i].p_offset, start, ph[i].p_filesz);
		if (err)
			return err;
	}
	/* Final protections; a page two segments share gets both. */
	for (unsigned i = 0; i < img->phnum; i++) {
		uintptr_t start = ph[i].p_vaddr + img->load_bias;
		uintptr_t pstart = ALIGN_DOWN(start, PAGE_SIZE);
		uintptr_t pend = ALIGN_UP(start + ph[i].p_memsz, PAGE_SIZE);
		int prot = prot_of(ph[i].p_flags);

		if (ph[i].p_type != PT_LOAD)
			continue;
		err = mm_mprotect(mm, pstart, pend - pstart, prot);
		if (!err && pstart < prev_end)
			err = mm_mprotect(mm, pstart, PAGE_SIZE, prot | prev_prot);
		if (err)
			return err;
		prev_end = pend;
		prev_prot = prot;
	}
	return 0;
}

/* The initial user stack as the ELF ABI wants it: argc, argv[], NULL,
 * envp[], NULL, auxv pairs, then the strings near the top. */
static int build_stack(struct mm *mm, const struct exec_args *a, const struct elf_image *img,
		       const char *execfn, uintptr_t vdso, uintptr_t *sp_out)
{
	uintptr_t top = mm->stack_top;
	size_t stack_size = current->proc->rlim[RLIMIT_STACK].rlim_cur;
	size_t fn_len = strlen(execfn) + 1;
	size_t plat_len = ELF_PLATFORM ? strlen(ELF_PLATFORM) + 1 : 0;
	size_t strings = a->len + fn_len + plat_len + 16;
	size_t nptr = 1 + (size_t)a->argc + 1 + (size_t)a->envc + 1 + 2 * AUXV_PAIRS;
	uintptr_t str_base, sp, p_fn, p_plat, p_rand;
	size_t total;
	long r;

	stack_size = MIN(MAX(stack_size, (size_t)(128 << 10)), (size_t)(256UL << 20));
	if (strings + nptr * 8 + 64 > stack_size / 4)
		return -E2BIG;
	r = mm_mmap(mm, top - stack_size, stack_size, PROT_READ | PROT_WRITE,
		    MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if (r < 0)
		return (int)r;

	str_base = ALIGN_DOWN(top - strings, 16);
	sp = ALIGN_DOWN(str_base - nptr * 8, 16);
	total = top - sp;
	__free(kfree) char *img_buf = kzalloc(total);
	if (!img_buf)
		return -ENOMEM;

	/* Strings: argv/envp block, execfn, platform, random bytes. */
	char *s = img_buf + (str_base - sp);
	memcpy(s, a->buf, a->len);
	p_fn = str_base + a->len;
	memcpy(s + a->len, execfn, fn_len);
	p_plat = p_fn + fn_len;
	if (plat_len)
		memcpy(s + a->len + fn_len, ELF_PLATFORM, plat_len);
	p_rand = p_plat + plat_len;
	random_bytes(s + a->len + fn_len + plat_len, 16);

	uint64_t *w = (uint64_t *)img_buf;
	uintptr_t str = str_base;
	*w++ = (uint64_t)a->argc;
	for (int i = 0; i < a->argc + a->envc; i++) {
		if (i == a->argc)
			*w++ = 0;
		*w++ = str;
		str += strlen(img_buf + (str - sp)) + 1;
	}
	if (a->envc == 0)
		*w++ = 0;
	*w++ = 0;
#define AUX(k, v) (*w++ = (k), *w++ = (uint64_t)(v))
	struct process *p = current->proc;
	AUX(AT_PHDR, img->phdr_vaddr);
	AUX(AT_PHENT, sizeof(struct elf64_phdr));
	AUX(AT_PHNUM, img->phnum);
	AUX(AT_PAGESZ, PAGE_SIZE);
	AUX(AT_BASE, 0);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, img->entry + img->load_bias);
	AUX(AT_UID, p->uid);
	AUX(AT_EUID, p->euid);
	AUX(AT_GID, p->gid);
	AUX(AT_EGID, p->egid);
	AUX(AT_SECURE, 0);
	AUX(AT_RANDOM, p_rand);
	AUX(AT_HWCAP, hal_elf_hwcap());
	AUX(AT_CLKTCK, USER_HZ);
	AUX(AT_EXECFN, p_fn);
	if (plat_len)
		AUX(AT_PLATFORM, p_plat);
	if (vdso)
		AUX(AT_SYSINFO_EHDR, vdso);
	AUX(AT_NULL, 0);
#undef AUX
	kassert((uintptr_t)((char *)w - img_buf) <= str_base - sp);

	if (mm_copy_out(mm, sp, img_buf, total))
		return -EFAULT;
	mm->arg_start = str_base;
	mm->arg_end = str_base + (uintptr_t)(exec_args_string(a, a->argc) - a->buf);
	*sp_out = sp;
	return 0;
}

/* Build the whole new image of an open ELF file into a new mm. */
static int load_elf(struct file *f, const void *head, size_t head_len,
		    const struct exec_args *a, const char *execfn,
		    struct mm **mm_out, uintptr_t *entry_out, uintptr_t *sp_out)
{
	struct elf_image img = { .machine = ELF_MACHINE_NATIVE, .user_min = mm_min_addr(),
				 .user_max = hal_user_max };
	size_t ph_len;
	int err;

	err = elf_check_ehdr(head, head_len, &img);
	if (err)
		return err;
	ph_len = img.phnum * sizeof(struct elf64_phdr);
	__free(kfree) struct elf64_phdr *ph = kmalloc(ph_len);
	if (!ph)
		return -ENOMEM;
	err = read_exact(f, ph, ph_len, (off_t)img.phoff);
	if (err)
		return err == -EIO ? -ENOEXEC : err;
	err = elf_check_phdrs(ph, ph_len, &img);
	if (err)
		return err;
	if (img.has_interp) {
		pr_warn("exec %s: dynamically linked programs are not supported\n", execfn);
		return -ENOEXEC;
	}

	struct mm *mm = mm_create();
	if (!mm)
		return -ENOMEM;
	if (!mm->stack_top)
		mm->stack_top = ALIGN_DOWN(hal_user_max, PAGE_SIZE) - PAGE_SIZE;
	err = load_segments(mm, f, ph, &img);
	if (!err)
		err = build_stack(mm, a, &img, execfn, vdso_exec_map(mm), sp_out);
	if (!err)
		err = signal_exec_map_trampoline(mm);
	if (err) {
		mm_put(mm);
		return err;
	}
	mm->brk_start = mm->brk = ALIGN_UP(img.hi, PAGE_SIZE);
	*mm_out = mm;
	*entry_out = img.entry + img.load_bias;
	pr_debug_if(EXEC_DEBUG, "exec %s: entry %lx sp %lx brk %lx\n", execfn,
		    (unsigned long)*entry_out, (unsigned long)*sp_out, (unsigned long)mm->brk);
	return 0;
}

/* Tell every other thread to leave and wait until they have. */
static void kill_other_threads(struct task *self)
{
	struct process *p = self->proc;
	struct task *t;

	for (;;) {
		/* No break inside scoped_guard: it is a loop of its own. */
		unsigned long flags = spin_lock_irqsave(&p->lock);
		bool alone = p->nr_threads == 1;

		if (!alone) {
			list_for_each_entry(t, &p->threads, thread_node) {
				if (t != self) {
					WRITE_ONCE(t->kill_pending, true);
					task_set_work(t);
					sched_wakeup_kill(t);
				}
			}
		}
		spin_unlock_irqrestore(&p->lock, flags);
		if (alone)
			break;
		WRITE_ONCE(self->state, TASK_UNINTERRUPTIBLE);
		schedule_timeout(hal_time_ns() + 1000000);
		WRITE_ONCE(self->state, TASK_RUNNING);
	}
	/* The survivor takes over the leader's id, as on Linux. */
	if (self->tid != p->pid) {
		pid_t old = self->tid;
		task_unhash(self);
		self->tid = p->pid;
		task_hash(self);
		pid_free(old);
	}
}

/* Point of no return: install the new image in the current process. */
static void exec_commit(struct mm *mm, uintptr_t entry, uintptr_t sp, const char *path)
{
	struct task *self = current;
	struct process *p = self->proc;
	const char *base = strrchr(path, '/');

	kill_other_threads(self);
	mm_activate(mm);
	process_replace_mm(p, mm);
	vfork_complete(self);
	posix_timers_exit(p);
	__atomic_store_n(&p->membarrier_registered, 0, __ATOMIC_RELAXED);
	if (p->files)
		fd_table_close_on_exec(p->files);
	if (sighand_exec_reset(p)) {
		p->exiting = true, p->exit_status = SIGSEGV;
		task_set_work(self);
	}
	self->clear_child_tid = 0;
	self->robust_list = 0;
	self->robust_list_len = 0;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 }))
		strlcpy(p->comm, base ? base + 1 : path, sizeof(p->comm));
	hal_frame_init_user(self->tf, entry, sp);
	hal_set_tls(&self->ctx, self->tf, 0, true);
}

/* Parse "#!interp [arg]" in buf; interp/arg point into buf. */
static int parse_shebang(char *buf, size_t n, char **interp, char **arg)
{
	char *end = NULL, *p = buf + 2;

	for (size_t i = 0; i < n && !end; i++)
		if (buf[i] == '\n')
			end = buf + i;

	if (!end) {
		if (n == BINPRM_BUF)
			return -ENOEXEC; /* line too long */
		end = buf + n;
	}
	*end = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return -ENOEXEC;
	*interp = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	*arg = NULL;
	if (*p) {
		*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p) {
			char *e = end;
			*arg = p;
			while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
				*--e = '\0';
		}
	}
	return 0;
}

int exec_current(const char *path, struct exec_args *args)
{
	char buf[BINPRM_BUF];
	char *cur_path = kstrdup(path);
	int err = -ELOOP;

	if (!cur_path) {
		exec_args_free(args);
		return -ENOMEM;
	}
	for (int depth = 0; depth <= SCRIPT_DEPTH_MAX; depth++) {
		struct file *f = vfs_open(cur_path, O_RDONLY, 0);
		struct mm *mm = NULL;
		uintptr_t entry = 0, sp = 0;
		ssize_t n;

		if (IS_ERR(f)) {
			err = (int)PTR_ERR(f);
			break;
		}
		if (!file_is_executable(f)) {
			file_put(f);
			err = -EACCES;
			break;
		}
		memset(buf, 0, sizeof(buf));
		n = kernel_read(f, buf, sizeof(buf), 0);
		if (n < 0) {
			file_put(f);
			err = (int)n;
			break;
		}
		if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
			char *interp, *arg;
			struct exec_args *na;

			file_put(f);
			err = parse_shebang(buf, (size_t)n, &interp, &arg);
			if (err)
				break;
			na = exec_args_for_script(args, interp, arg, cur_path);
			if (IS_ERR(na)) {
				err = (int)PTR_ERR(na);
				break;
			}
			exec_args_free(args);
			args = na;
			kfree(cur_path);
			cur_path = kstrdup(interp);
			if (!cur_path) {
				err = -ENOMEM;
				break;
			}
			err = -ELOOP;
			continue;
		}
		err = load_elf(f, buf, (size_t)n, args, path, &mm, &entry, &sp);
		file_put(f);
		if (!err)
			exec_commit(mm, entry, sp, path);
		break;
	}
	kfree(cur_path);
	exec_args_free(args);
	return err;
}

long sys_execve(const char __user *upath, const char __user *const __user *argv,
		const char __user *const __user *envp)
{
	__free(kfree) char *path = kmalloc(4096);
	struct exec_args *args;
	long n;

	if (!path)
		return -ENOMEM;
	n = strncpy_from_user(path, upath, 4096);
	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	args = exec_args_from_user(argv, envp);
	if (IS_ERR(args))
		return PTR_ERR(args);
	return exec_current(path, args);
}
