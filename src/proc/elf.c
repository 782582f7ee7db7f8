/*
 * ELF64 validation, pure: no I/O, no allocation, no global state, so the
 * host tests (test/test_elf.c) can feed it malformed files under ASan.
 * Every check of the file that fails returns -ENOEXEC; nothing here trusts
 * a field of the file before it has been range-checked. Position-
 * independent (ET_DYN) images are checked at their link-time addresses;
 * elf_place() then checks the range the loader picked for them.
 */
#include <ferrite/elf.h>
#include <ferrite/errno.h>
#include <ferrite/string.h>

static bool add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
	return __builtin_add_overflow(a, b, sum);
}

int elf_check_ehdr(const void *buf, size_t len, struct elf_image *img)
{
	struct elf64_ehdr eh;
	uint64_t table_end;

	if (!buf || len < sizeof(eh))
		return -ENOEXEC;
	memcpy(&eh, buf, sizeof(eh)); /* buf need not be aligned */
	if (eh.e_ident[0] != 0x7f || eh.e_ident[1] != 'E' || eh.e_ident[2] != 'L' ||
	    eh.e_ident[3] != 'F')
		return -ENOEXEC;
	if (eh.e_ident[4] != ELFCLASS64 || eh.e_ident[5] != ELFDATA2LSB ||
	    eh.e_ident[6] != EV_CURRENT || eh.e_version != EV_CURRENT)
		return -ENOEXEC;
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return -ENOEXEC;
	if (eh.e_machine != img->machine)
		return -ENOEXEC;
	if (eh.e_phentsize != sizeof(struct elf64_phdr) || eh.e_phnum == 0 ||
	    eh.e_phnum > ELF_MAX_PHNUM)
		return -ENOEXEC;
	if (add_overflows(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(struct elf64_phdr), &table_end) ||
	    table_end > (1ULL << 40))
		return -ENOEXEC;

	img->type = eh.e_type;
	img->entry = eh.e_entry;
	img->phoff = eh.e_phoff;
	img->phnum = eh.e_phnum;
	img->load_bias = 0;
	img->lo = UINT64_MAX;
	img->hi = 0;
	img->phdr_vaddr = 0;
	img->max_align = 1;
	img->has_interp = false;
	img->interp_off = img->interp_len = 0;
	return 0;
}

/* One PT_LOAD: sizes, alignment and the link-time range must make sense
 * (the range in user space is elf_place's job). */
static int check_load(const struct elf64_phdr *ph)
{
	uint64_t end, file_end;

	if (ph->p_filesz > ph->p_memsz || ph->p_memsz == 0)
		return -ENOEXEC;
	if (add_overflows(ph->p_offset, ph->p_filesz, &file_end))
		return -ENOEXEC;
	if (ph->p_align > 1 && (ph->p_align & (ph->p_align - 1)))
		return -ENOEXEC;
	/* Offset and address must agree within a page (as Linux requires). */
	if ((ph->p_vaddr ^ ph->p_offset) & (PAGE_SIZE - 1))
		return -ENOEXEC;
	if (add_overflows(ph->p_vaddr, ph->p_memsz, &end) || end > UINT64_MAX - PAGE_SIZE)
		return -ENOEXEC;
	return 0;
}

/* PT_INTERP: a path of 2 to ELF_INTERP_MAX bytes, NUL included (the
 * loader reads it and checks the NUL). Linux takes the first one. */
static int check_interp(const struct elf64_phdr *ph, struct elf_image *img)
{
	uint64_t end;

	if (img->has_interp)
		return 0;
	if (ph->p_filesz < 2 || ph->p_filesz > ELF_INTERP_MAX ||
	    add_overflows(ph->p_offset, ph->p_filesz, &end))
		return -ENOEXEC;
	img->has_interp = true;
	img->interp_off = ph->p_offset;
	img->interp_len = ph->p_filesz;
	return 0;
}

int elf_check_phdrs(const void *buf, size_t len, struct elf_image *img)
{
	uint64_t prev_vaddr = 0, phdr_from_load = 0;
	bool have_load = false;
	int err;

	if (!buf || img->phnum == 0 || img->phnum > ELF_MAX_PHNUM ||
	    len < (size_t)img->phnum * sizeof(struct elf64_phdr))
		return -ENOEXEC;

	for (unsigned i = 0; i < img->phnum; i++) {
		struct elf64_phdr ph;
		memcpy(&ph, (const char *)buf + i * sizeof(ph), sizeof(ph));
		switch (ph.p_type) {
		case PT_LOAD:
			err = check_load(&ph);
			if (err)
				return err;
			/* The ELF spec orders PT_LOAD entries by address. */
			if (have_load && ph.p_vaddr < prev_vaddr)
				return -ENOEXEC;
			prev_vaddr = ph.p_vaddr;
			have_load = true;
			img->lo = MIN(img->lo, ph.p_vaddr);
			img->hi = MAX(img->hi, ph.p_vaddr + ph.p_memsz);
			if (ph.p_align > img->max_align)
				img->max_align = ph.p_align;
			if (!phdr_from_load && img->phoff >= ph.p_offset &&
			    img->phoff - ph.p_offset < ph.p_filesz)
				phdr_from_load = ph.p_vaddr + (img->phoff - ph.p_offset);
			break;
		case PT_PHDR:
			if (ph.p_vaddr > img->user_max)
				return -ENOEXEC;
			img->phdr_vaddr = ph.p_vaddr;
			break;
		case PT_INTERP:
			err = check_interp(&ph, img);
			if (err)
				return err;
			break;
		default:
			break;
		}
	}
	if (!have_load)
		return -ENOEXEC;
	if (!img->phdr_vaddr)
		img->phdr_vaddr = phdr_from_load;
	if (img->entry < img->lo || img->entry >= img->hi)
		return -ENOEXEC;
	if (img->type == ET_EXEC)
		return elf_place(img, 0);
	return 0;
}

int elf_place(struct elf_image *img, uint64_t bias)
{
	int err = img->type == ET_EXEC ? -ENOEXEC : -ENOMEM;
	uint64_t start, end;

	if (img->type == ET_EXEC && bias)
		return -ENOEXEC;
	if (add_overflows(img->lo, bias, &start) || add_overflows(img->hi, bias, &end))
		return err;
	if (ALIGN_DOWN(start, PAGE_SIZE) < img->user_min || end > img->user_max ||
	    ALIGN_UP(end, PAGE_SIZE) > img->user_max)
		return err;
	img->load_bias = bias;
	return 0;
}

int elf_check_image(const void *file, size_t len, struct elf_image *img)
{
	int err = elf_check_ehdr(file, len, img);
	if (err)
		return err;
	if (img->phoff > len)
		return -ENOEXEC;
	return elf_check_phdrs((const char *)file + img->phoff, len - img->phoff, img);
}
