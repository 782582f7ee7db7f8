/*
 * ELF64 definitions and the pure header validator (src/proc/elf.c). The
 * validator only looks at buffers it is given, so host tests can feed it
 * any bytes. The loader (src/proc/exec.c) does the I/O.
 */
#pragma once
#include <ferrite/types.h>

#define EI_NIDENT 16
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1
#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define EM_RISCV 243

#define PT_NULL 0
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_PHDR 6
#define PT_GNU_STACK 0x6474e551

#define PF_X 1
#define PF_W 2
#define PF_R 4

struct elf64_ehdr {
	uint8_t e_ident[EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry;
	uint64_t e_phoff;
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize;
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
};

struct elf64_phdr {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset;
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz;
	uint64_t p_memsz;
	uint64_t p_align;
};

/* The machine this kernel runs (host tests validate x86_64 files). */
#if defined(__riscv)
#define ELF_MACHINE_NATIVE EM_RISCV
#else
#define ELF_MACHINE_NATIVE EM_X86_64
#endif

#define ELF_MAX_PHNUM 64
/* The longest PT_INTERP string, NUL included (Linux: PATH_MAX). */
#define ELF_INTERP_MAX 4096
/* The largest p_align honoured when placing an ET_DYN image. */
#define ELF_MAX_ALIGN (1UL << 30)

/*
 * What the validator learned. lo, hi, entry and phdr_vaddr are link-time
 * addresses: the image's address in memory is that plus load_bias, which
 * elf_place() sets (0 for ET_EXEC; chosen by the loader for ET_DYN).
 */
struct elf_image {
	uint16_t machine;  /* in: required e_machine */
	uint64_t user_min; /* in: lowest mappable user address */
	uint64_t user_max; /* in: highest user address + 1 */
	uint16_t type;
	uint64_t entry;
	uint64_t phoff;
	uint16_t phnum;
	uint64_t load_bias;  /* set by elf_place() */
	uint64_t lo, hi;     /* lowest / highest address covered by PT_LOAD */
	uint64_t phdr_vaddr; /* where the phdr table is in memory, 0 if nowhere */
	uint64_t max_align;  /* largest PT_LOAD p_align (at least 1) */
	bool has_interp;
	uint64_t interp_off, interp_len; /* the first PT_INTERP's file bytes */
};

/* Validate the ELF header in buf (at least sizeof(struct elf64_ehdr)).
 * Fills type, entry, phoff, phnum. 0 or -ENOEXEC. */
int elf_check_ehdr(const void *buf, size_t len, struct elf_image *img);
/* Validate img->phnum program headers in buf. Fills lo, hi, phdr_vaddr,
 * max_align, has_interp, interp_off/len; an ET_EXEC image is placed
 * (elf_place(img, 0)) and must fit user space. 0 or -ENOEXEC (-EINVAL
 * never: bad files are ENOEXEC). */
int elf_check_phdrs(const void *buf, size_t len, struct elf_image *img);
/* Put a checked image at load_bias bias: every PT_LOAD page must fall in
 * [user_min, user_max). ET_EXEC takes only bias 0. 0, -ENOEXEC (an ET_EXEC
 * that does not fit) or -ENOMEM (an ET_DYN bias that does not fit). */
int elf_place(struct elf_image *img, uint64_t bias);
/* Header and program headers on a whole file image in memory (tests);
 * ET_DYN images are left unplaced. */
int elf_check_image(const void *file, size_t len, struct elf_image *img);
