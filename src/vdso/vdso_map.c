/*
 * Kernel side of the vDSO (include/ferrite/vdso.h): the image built from
 * src/vdso/vdso.c is linked into the kernel (vdso_image_start/end). The
 * first exec builds the master copy: the image padded to whole pages, its
 * data block (found by its magic) filled with the clock parameters from
 * hal_vdso_clock(). Every exec maps a private read+execute copy of it.
 * Locking: vdso_master is published once with a compare-and-swap (a racing
 * builder frees its own copy) and only read afterwards; mapping goes
 * through mm_mmap/mm_copy_out/mm_mprotect, which take mm->lock themselves.
 */
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <ferrite/vdso.h>
#include <ferrite/vm.h>

extern char vdso_image_start[], vdso_image_end[];

static char *vdso_master;	/* set once, then read only */
static bool vdso_broken;	/* no data block in the image: no vDSO */

static size_t vdso_len(void)
{
	return (size_t)(vdso_image_end - vdso_image_start);
}

/* Bytes mapped: the image rounded up to whole pages. */
static size_t vdso_size(void)
{
	return ALIGN_UP(vdso_len(), PAGE_SIZE);
}

static char *vdso_build(void)
{
	size_t len = vdso_len();
	char *m = kzalloc(vdso_size());

	if (!m)
		return NULL;
	memcpy(m, vdso_image_start, len);
	for (size_t off = 0; off + sizeof(struct vdso_data) <= len; off += 8) {
		uint64_t magic;

		memcpy(&magic, m + off, sizeof(magic));
		if (magic == VDSO_DATA_MAGIC) {
			struct vdso_data *d = (struct vdso_data *)(m + off);

			memset(d, 0, sizeof(*d));
			hal_vdso_clock(d);
			return m;
		}
	}
	pr_warn("vdso: data block not found, no vDSO\n");
	WRITE_ONCE(vdso_broken, true);
	kfree(m);
	return NULL;
}

void vdso_init(void)
{
	char *m, *expected = NULL;

	if (__atomic_load_n(&vdso_master, __ATOMIC_ACQUIRE) || READ_ONCE(vdso_broken))
		return;
	m = vdso_build();
	if (m && !__atomic_compare_exchange_n(&vdso_master, &expected, m, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE))
		kfree(m); /* another CPU published first */
}

uintptr_t vdso_exec_map(struct mm *mm)
{
	char *master;
	long addr;

	vdso_init();
	master = __atomic_load_n(&vdso_master, __ATOMIC_ACQUIRE);
	if (!master)
		return 0;
	addr = mm_mmap(mm, 0, vdso_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       NULL, 0);
	if (addr < 0)
		return 0;
	if (mm_copy_out(mm, (uintptr_t)addr, master, vdso_size()) ||
	    mm_mprotect(mm, (uintptr_t)addr, vdso_size(), PROT_READ | PROT_EXEC)) {
		mm_munmap(mm, (uintptr_t)addr, vdso_size());
		return 0;
	}
	return (uintptr_t)addr;
}
