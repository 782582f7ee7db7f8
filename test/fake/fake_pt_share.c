/*
 * Fake HAL: hal_pt_share_range for the tests that link the mm (mm_fork).
 * The real HALs copy whole leaf tables; page by page through the fake
 * table's own walk and map gives the same result. Apart from fake_hal.c
 * because it takes frame references, and only the mm tests link frames.
 */
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <hal/hal_mmu.h>

struct fake_share {
	struct hal_pt *child;
	bool cow;
};

static int share_page(void *arg, uintptr_t va, phys_addr_t pa, unsigned *prot)
{
	struct fake_share *s = arg;

	if (s->cow)
		*prot &= ~HAL_PROT_WRITE;
	if (hal_pt_map(s->child, va, pa, *prot))
		return -ENOMEM;
	frame_get(phys_to_frame(pa));
	return 0;
}

int hal_pt_share_range(struct hal_pt *parent, struct hal_pt *child, uintptr_t start,
		       uintptr_t end, bool cow)
{
	struct fake_share s = { child, cow };

	return hal_pt_walk_range(parent, start, end, share_page, &s);
}
