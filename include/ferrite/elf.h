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
/* Where an ET_DYN (static-pie) image is loaded. */
#define ELF_DYN_BASE 0x10000000UL

/* What the validator learned; addresses are before adding load_bias. */
struct elf_image {
	uint16_t machine;  /* in: required e_machine */
	uint64_t user_min; /* in: lowest mappable user address */
	uint64_t user_max; /* in: highest user address + 1 */
	uint16_t type;
	uint64_t entry;
	uint64_t phoff;
	uint16_t phnum;
	uint64_t load_bias; /* 0 for ET_EXEC, ELF_DYN_BASE for ET_DYN */
	uint64_t lo, hi;    /* lowest / highest address covered by PT_LOAD */
	uint64_t phdr_vaddr; /* where the phdr table is in memory, 0 if nowhere */
	bool has_interp;
};

/* Validate the ELF header in buf (at least sizeof(struct elf64_ehdr)).
 * Fills type, entry, phoff, phnum, load_bias. 0 or -ENOEXEC. */
int elf_check_ehdr(const void *buf, size_t len, struct elf_image *img);
/* Validate img->phnum program headers in buf. Fills lo, hi, phdr_vaddr,
 * has_interp. 0 or -ENOEXEC (-EINVAL never: bad files are ENOEXEC). */
int elf_check_phdrs(const void *buf, size_t len, struct elf_image *img);
/* Both, on a whole file image in memory (tests). */
int elf_check_image(const void *file, size_t len, struct elf_image *img);
