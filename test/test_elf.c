/* Host tests: the pure ELF64 validator (src/proc/elf.c) on valid and
 * malformed images; every bad image must give -ENOEXEC, never a crash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/elf.h>
#include <ferrite/errno.h>

#define USER_MIN 0x10000UL
#define USER_MAX 0x4000000000UL

struct image {
	struct elf64_ehdr eh;
	struct elf64_phdr ph[3];
	uint8_t text[64];
};

static struct elf_image want(void)
{
	return (struct elf_image){ .machine = ELF_MACHINE_NATIVE, .user_min = USER_MIN,
				   .user_max = USER_MAX };
}

/* A minimal static executable: PHDR, one R-X load and one RW load. */
static void make_valid(struct image *im)
{
	memset(im, 0, sizeof(*im));
	memcpy(im->eh.e_ident, "\x7f" "ELF", 4);
	im->eh.e_ident[4] = ELFCLASS64;
	im->eh.e_ident[5] = ELFDATA2LSB;
	im->eh.e_ident[6] = EV_CURRENT;
	im->eh.e_type = ET_EXEC;
	im->eh.e_machine = ELF_MACHINE_NATIVE;
	im->eh.e_version = EV_CURRENT;
	im->eh.e_entry = 0x400000 + offsetof(struct image, text);
	im->eh.e_phoff = offsetof(struct image, ph);
	im->eh.e_ehsize = sizeof(struct elf64_ehdr);
	im->eh.e_phentsize = sizeof(struct elf64_phdr);
	im->eh.e_phnum = 3;
	im->ph[0] = (struct elf64_phdr){ .p_type = PT_PHDR, .p_flags = PF_R,
					 .p_offset = im->eh.e_phoff,
					 .p_vaddr = 0x400000 + im->eh.e_phoff,
					 .p_filesz = 3 * sizeof(struct elf64_phdr),
					 .p_memsz = 3 * sizeof(struct elf64_phdr), .p_align = 8 };
	im->ph[1] = (struct elf64_phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
					 .p_offset = 0, .p_vaddr = 0x400000,
					 .p_filesz = sizeof(*im), .p_memsz = sizeof(*im),
					 .p_align = 0x1000 };
	im->ph[2] = (struct elf64_phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
					 .p_offset = 0, .p_vaddr = 0x401000, .p_filesz = 0x10,
					 .p_memsz = 0x2000, .p_align = 0x1000 };
}

static int check(const struct image *im, size_t len)
{
	struct elf_image img = want();
	return elf_check_image(im, len, &img);
}

static void test_valid(void **state)
{
	struct image im;
	struct elf_image img = want();

	(void)state;
	make_valid(&im);
	assert_int_equal(elf_check_image(&im, sizeof(im), &img), 0);
	assert_int_equal(img.type, ET_EXEC);
	assert_int_equal(img.load_bias, 0);
	assert_int_equal(img.lo, 0x400000);
	assert_int_equal(img.hi, 0x403000);
	assert_int_equal(img.phnum, 3);
	assert_int_equal(img.phdr_vaddr, 0x400000 + offsetof(struct image, ph));
	assert_false(img.has_interp);
}

static void test_static_pie(void **state)
{
	struct image im;
	struct elf_image img = want();

	(void)state;
	make_valid(&im);
	im.eh.e_type = ET_DYN;
	im.eh.e_entry -= 0x400000;
	im.ph[0].p_vaddr -= 0x400000;
	im.ph[1].p_vaddr = 0;
	im.ph[2].p_vaddr = 0x1000;
	assert_int_equal(elf_check_image(&im, sizeof(im), &img), 0);
	/* Checked at link-time addresses, not yet placed. */
	assert_int_equal(img.load_bias, 0);
	assert_int_equal(img.lo, 0);
	assert_int_equal(img.hi, 0x3000);
	assert_int_equal(img.phdr_vaddr, offsetof(struct image, ph));
	assert_int_equal(img.max_align, 0x1000);
	/* The loader's choice of base must fit user space. */
	assert_int_equal(elf_place(&img, 0), -ENOMEM); /* page 0 */
	assert_int_equal(elf_place(&img, USER_MAX - 0x2000), -ENOMEM);
	assert_int_equal(elf_place(&img, UINT64_MAX - 0x1000), -ENOMEM); /* wraps */
	assert_int_equal(elf_place(&img, 0x10000000), 0);
	assert_int_equal(img.load_bias, 0x10000000);
	assert_int_equal(elf_place(&img, USER_MAX - 0x3000), 0);
}

static void test_exec_not_moved(void **state)
{
	struct image im;
	struct elf_image img = want();

	(void)state;
	make_valid(&im);
	assert_int_equal(elf_check_image(&im, sizeof(im), &img), 0);
	assert_int_equal(elf_place(&img, 0x1000), -ENOEXEC);
	assert_int_equal(elf_place(&img, 0), 0);
}

static void test_phdr_from_load(void **state)
{
	struct image im;
	struct elf_image img = want();

	(void)state;
	make_valid(&im);
	im.ph[0].p_type = PT_NULL; /* no PT_PHDR: found through the first load */
	assert_int_equal(elf_check_image(&im, sizeof(im), &img), 0);
	assert_int_equal(img.phdr_vaddr, 0x400000 + offsetof(struct image, ph));
}

static void test_bad_ident(void **state)
{
	struct image im;

	(void)state;
	make_valid(&im);
	im.eh.e_ident[1] = 'X';
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.eh.e_ident[4] = 1; /* ELFCLASS32 */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.eh.e_ident[5] = 2; /* big endian */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.eh.e_type = 1; /* ET_REL */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
}

static void test_wrong_machine(void **state)
{
	struct image im;

	(void)state;
	make_valid(&im);
	im.eh.e_machine = ELF_MACHINE_NATIVE == EM_RISCV ? EM_X86_64 : EM_RISCV;
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
}

static void test_truncated(void **state)
{
	struct image im;

	(void)state;
	make_valid(&im);
	/* Every prefix shorter than the phdr table must be refused. */
	for (size_t len = 0; len < offsetof(struct image, text); len++) {
		uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees overreads */
		memcpy(copy, &im, len);
		assert_int_equal(elf_check_image(copy, len, &(struct elf_image){
			.machine = ELF_MACHINE_NATIVE, .user_min = USER_MIN, .user_max = USER_MAX }), -ENOEXEC);
		free(copy);
	}
	assert_int_equal(elf_check_image(NULL, 0, &(struct elf_image){ 0 }), -ENOEXEC);
}

static void test_bad_phdr_table(void **state)
{
	struct image im;

	(void)state;
	make_valid(&im);
	im.eh.e_phentsize = 32;
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.eh.e_phnum = 0;
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.eh.e_phnum = 1000;
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.eh.e_phoff = UINT64_MAX - 8; /* table end overflows */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.eh.e_phoff = sizeof(im) - 8; /* table runs past the file */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
}

static void test_bad_segments(void **state)
{
	struct image im;

	(void)state;
	make_valid(&im);
	im.ph[2].p_filesz = im.ph[2].p_memsz + 1; /* filesz > memsz */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.ph[2].p_vaddr = UINT64_MAX - 0x1000 + 1; /* vaddr + memsz overflows */
	im.ph[2].p_offset = im.ph[2].p_vaddr & 0xfff;
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.ph[2].p_offset = UINT64_MAX - 4; /* offset + filesz overflows */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.ph[2].p_vaddr = USER_MAX - 0x1000; /* ends above user space */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.ph[1].p_vaddr = 0x1000; /* below the lowest user page */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.ph[2].p_align = 0x1800; /* not a power of two */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.ph[2].p_offset = 0x10; /* vaddr and offset disagree within a page */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.ph[2].p_vaddr = 0x300000; /* PT_LOADs out of order */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.ph[1].p_type = PT_NULL;
	im.ph[2].p_type = PT_NULL; /* nothing to load */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	make_valid(&im);
	im.eh.e_entry = 0x900000; /* entry outside every segment */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
}

static void test_interp_flagged(void **state)
{
	struct image im;
	struct elf_image img = want();

	(void)state;
	make_valid(&im);
	im.ph[0].p_type = PT_INTERP;
	assert_int_equal(elf_check_image(&im, sizeof(im), &img), 0);
	assert_true(img.has_interp);
	assert_int_equal(img.interp_off, im.ph[0].p_offset);
	assert_int_equal(img.interp_len, im.ph[0].p_filesz);
}

static void test_bad_interp(void **state)
{
	struct image im;

	(void)state;
	make_valid(&im);
	im.ph[0].p_type = PT_INTERP;
	im.ph[0].p_filesz = 1; /* not even "/" and its NUL */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	im.ph[0].p_filesz = ELF_INTERP_MAX + 1;
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
	im.ph[0].p_filesz = 16;
	im.ph[0].p_offset = UINT64_MAX - 8; /* offset + size overflows */
	assert_int_equal(check(&im, sizeof(im)), -ENOEXEC);
}

/* Random bit flips of a valid image: any result, but no crash. */
static void test_fuzz(void **state)
{
	struct image im;
	unsigned seed = 12345;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct elf_image img = want();
		make_valid(&im);
		for (int k = 0; k < 4; k++) {
			seed = seed * 1103515245 + 12345;
			((uint8_t *)&im)[(seed >> 8) % sizeof(im)] ^= (uint8_t)(1u << ((seed >> 4) & 7));
		}
		int r = elf_check_image(&im, sizeof(im), &img);
		assert_true(r == 0 || r == -ENOEXEC);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_static_pie),
		cmocka_unit_test(test_phdr_from_load),
		cmocka_unit_test(test_bad_ident),
		cmocka_unit_test(test_wrong_machine),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_phdr_table),
		cmocka_unit_test(test_bad_segments),
		cmocka_unit_test(test_exec_not_moved),
		cmocka_unit_test(test_interp_flagged),
		cmocka_unit_test(test_bad_interp),
		cmocka_unit_test(test_fuzz),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
