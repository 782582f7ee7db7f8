/*
 * The ELF loader of execve: maps a program's PT_LOAD segments into a new
 * address space and, for a dynamically linked program (PT_INTERP), the
 * interpreter it names (ld.so), then builds the initial stack
 * (exec_stack.c). Position-independent images go where Linux puts them
 * (src/mm/layout.c): a program with an interpreter at ELF_ET_DYN_BASE
 * (randomised); an interpreter, or an ET_DYN without one (static-pie, or
 * ld.so run as a command), in the top-down mmap area, with the break of the
 * latter moved to ELF_ET_DYN_BASE so that it has room to grow.
 *
 * Errors, as Linux: a bad program is -ENOEXEC; the interpreter's path
 * gives what opening it gives (-ENOENT when missing, -EACCES when not an
 * executable regular file); an interpreter shorter than an ELF header is
 * -EIO, one that is no ELF of this machine or whose program headers are
 * bad is -ELIBBAD. Unlike Linux, the interpreter is loaded before the point
 * of no return, so its failure is an errno too, never a killed process.
 *
 * Text pages: segments are private file mappings (mm_mmap), so a file
 * with a page cache (ramfs: the initramfs, /tmp) lends its own pages to
 * every process until one writes (copy-on-write); other files' pages are
 * private copies read at fault time (src/mm/fault.c).
 *
 * Locking: the new mm is private to this thread until exec_commit.
 */
#include <ferrite/elf.h>
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/kmalloc.h>
#include <ferrite/signal.h>
#include <ferrite/string.h>
#include <ferrite/vdso.h>
#include <ferrite/vfs.h>
#include <ferrite/vm.h>
#include <hal/hal_mmu.h>
#include "exec.h"

#define EXEC_DEBUG 0
#ifndef O_RDONLY
#define O_RDONLY 0
#endif

/* Read exactly n bytes at off; -EIO on a short file. */
static int exec_read_exact(struct file *f, void *buf, size_t n, off_t off)
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
		int err = exec_read_exact(f, buf, n, (off_t)off);
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
		    exec_read_exact(f, &last, 1, (off_t)(ph[i].p_offset + ph[i].p_filesz - 1)))
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

/* Read and check the program headers of an image whose ELF header passed
 * elf_check_ehdr. Return 0 with *out (kmalloc'd), or -ENOEXEC / -errno. */
static int read_phdrs(struct file *f, struct elf_image *img, struct elf64_phdr **out)
{
	size_t len = img->phnum * sizeof(struct elf64_phdr);
	__free(kfree) struct elf64_phdr *ph = kmalloc(len);
	int err;

	if (!ph)
		return -ENOMEM;
	err = exec_read_exact(f, ph, len, (off_t)img->phoff);
	if (err)
		return err == -EIO ? -ENOEXEC : err;
	err = elf_check_phdrs(ph, len, img);
	if (err)
		return err;
	*out = take_ptr(ph);
	return 0;
}

/* Open the interpreter that img's PT_INTERP names. Return: new reference,
 * or ERR_PTR. */
static struct file *open_interp(struct file *f, const struct elf_image *img)
{
	__free(kfree) char *path = kmalloc(img->interp_len);
	struct file *interp;
	int err;

	if (!path)
		return ERR_PTR(-ENOMEM);
	err = exec_read_exact(f, path, img->interp_len, (off_t)img->interp_off);
	if (err)
		return ERR_PTR(err); /* -EIO on a short file, as Linux */
	if (path[img->interp_len - 1] != '\0')
		return ERR_PTR(-ENOEXEC);
	interp = vfs_open_exec(path);
	if (IS_ERR(interp))
		return interp;
	if (!file_is_executable(interp)) {
		file_put(interp);
		return ERR_PTR(-EACCES);
	}
	return interp;
}

/* Check the interpreter's headers into img and *ph. */
static int check_interp(struct file *interp, struct elf_image *img, struct elf64_phdr **ph)
{
	struct elf64_ehdr eh;
	int err = exec_read_exact(interp, &eh, sizeof(eh), 0);

	if (err)
		return err;
	if (elf_check_ehdr(&eh, sizeof(eh), img))
		return -ELIBBAD;
	err = read_phdrs(interp, img, ph);
	return err == -ENOEXEC ? -ELIBBAD : err;
}

/* True when nothing in mm overlaps [start, start + len). */
static bool range_free(struct mm *mm, uintptr_t start, size_t len)
{
	long r = mm_mmap(mm, start, len, PROT_NONE,
			 MAP_FIXED_NOREPLACE | MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);

	if (r < 0)
		return false;
	mm_munmap(mm, start, len);
	return true;
}

/* A free range of len bytes aligned to align in the top-down mmap area,
 * or 0. */
static uintptr_t find_area(struct mm *mm, size_t len, size_t align)
{
	size_t want = len + align - PAGE_SIZE;
	long r;

	if (want < len)
		return 0;
	r = mm_mmap(mm, 0, want, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if (r < 0)
		return 0;
	mm_munmap(mm, (uintptr_t)r, want);
	return ALIGN_UP((uintptr_t)r, align);
}

/*
 * Choose img's load_bias: ET_EXEC stays where it was linked; an ET_DYN goes
 * to ELF_ET_DYN_BASE when at_dyn_base (a program with an interpreter), else
 * into the mmap area. The range it takes must be free (an interpreter must
 * not land on its program). 0 or -ENOMEM (-ENOEXEC from elf_place).
 */
static int place_image(struct mm *mm, struct elf_image *img, bool at_dyn_base)
{
	uintptr_t lo = ALIGN_DOWN(img->lo, PAGE_SIZE);
	size_t span = ALIGN_UP(img->hi, PAGE_SIZE) - lo;
	size_t align = MAX(MIN(img->max_align, ELF_MAX_ALIGN), PAGE_SIZE);
	uintptr_t start = lo;
	int err;

	if (span >= hal_user_max)
		return -ENOMEM;
	if (img->type == ET_DYN && at_dyn_base) {
		start = ALIGN_DOWN(mm_layout_dyn_base(), align);
		if (span > mm->mmap_base || start > mm->mmap_base - span)
			return -ENOMEM;
	} else if (img->type == ET_DYN) {
		start = find_area(mm, span, align);
		if (!start)
			return -ENOMEM;
	}
	if (img->type == ET_DYN) {
		err = elf_place(img, start - lo);
		if (err)
			return err;
	}
	return range_free(mm, start, span) ? 0 : -ENOMEM;
}

/* RLIMIT_STACK as the size of the new stack VMA, within sane bounds. */
static size_t exec_stack_size(void)
{
	size_t size = current->proc->rlim[RLIMIT_STACK].rlim_cur;

	return ALIGN_DOWN(MIN(MAX(size, (size_t)(128 << 10)), (size_t)(256UL << 20)), PAGE_SIZE);
}

int exec_load_elf(struct file *f, const void *head, size_t head_len, const struct exec_args *a,
		  const char *execfn, struct mm **mm_out, uintptr_t *entry_out, uintptr_t *sp_out)
{
	struct elf_image img = { .machine = ELF_MACHINE_NATIVE, .user_min = mm_min_addr(),
				 .user_max = hal_user_max };
	struct elf_image iimg = img;
	__free(kfree) struct elf64_phdr *ph = NULL;
	__free(kfree) struct elf64_phdr *iph = NULL;
	__free(file_put) struct file *interp = NULL;
	size_t stack_size = exec_stack_size();
	int err;

	err = elf_check_ehdr(head, head_len, &img);
	if (err)
		return err;
	err = read_phdrs(f, &img, &ph);
	if (err)
		return err;
	if (img.has_interp) {
		interp = open_interp(f, &img);
		if (IS_ERR(interp))
			return (int)PTR_ERR(interp);
		err = check_interp(interp, &iimg, &iph);
		if (err)
			return err;
	}

	struct mm *mm = mm_create();
	if (!mm)
		return -ENOMEM;
	mm_layout_exec(mm, stack_size);
	err = place_image(mm, &img, interp != NULL);
	if (!err)
		err = load_segments(mm, f, ph, &img);
	if (!err && interp)
		err = place_image(mm, &iimg, false);
	if (!err && interp)
		err = load_segments(mm, interp, iph, &iimg);

	struct exec_auxv aux = {
		.phdr = img.phdr_vaddr ? img.phdr_vaddr + img.load_bias : 0,
		.phnum = img.phnum,
		.entry = img.entry + img.load_bias,
		.base = interp ? iimg.load_bias : 0,
	};
	if (!err) {
		aux.vdso = vdso_exec_map(mm);
		err = exec_build_stack(mm, a, execfn, &aux, stack_size, sp_out);
	}
	if (!err)
		err = signal_exec_map_trampoline(mm);
	if (err) {
		mm_put(mm);
		return err;
	}
	/* A loader run as a command keeps its break away from the program it
	 * will map (Linux: ELF_ET_DYN_BASE). */
	if (img.type == ET_DYN && !interp)
		mm->brk_start = mm_layout_brk(mm_layout_dyn_base());
	else
		mm->brk_start = mm_layout_brk(img.hi + img.load_bias);
	mm->brk = mm->brk_start;
	*mm_out = mm;
	*entry_out = interp ? iimg.entry + iimg.load_bias : aux.entry;
	pr_debug_if(EXEC_DEBUG, "exec %s: entry %lx base %lx sp %lx brk %lx\n", execfn,
		    (unsigned long)*entry_out, (unsigned long)aux.base, (unsigned long)*sp_out,
		    (unsigned long)mm->brk);
	return 0;
}
