/*
 * Address-space layout of a new program image (execve): where the stack
 * ends, where top-down mmap allocation starts, where a position-independent
 * program and the break go. As Linux's ASLR, each is moved by a random
 * number of pages unless randomisation is off ("norandmaps" on the command
 * line, or mm_randomize cleared) or the process asked for none with
 * personality(ADDR_NO_RANDOMIZE), as `setarch -R` does:
 *   stack top   down by up to user_max/256, at most 16 GiB, and then the
 *               first stack pointer by up to 8 KiB within its page
 *   mmap base   below the stack's gap (RLIMIT_STACK, at least 128 MiB, plus
 *               the stack's random range), down by up to user_max/128
 *   ET_DYN base ELF_ET_DYN_BASE = 2/3 of user space, up by user_max/128
 *   brk         up to 32 MiB above the end of the program
 * (x86_64: 16 GiB, 1 TiB, 1 TiB, 32 MiB; riscv64 Sv39: 1 GiB, 2 GiB,
 * 2 GiB, 32 MiB.)
 * Locking: none. The mm is private to execve; mm_randomize is set at boot.
 */
#include <ferrite/cpu.h>
#include <ferrite/random.h>
#include <ferrite/task.h>
#include <ferrite/vm.h>
#include <hal/hal_mmu.h>

bool mm_randomize = true;

#define STACK_GAP_MIN (128UL << 20)
#define STACK_GUARD_GAP (256UL * PAGE_SIZE) /* Linux's stack_guard_gap */
#define BRK_RANDOM (32UL << 20)
#define ADDR_NO_RANDOMIZE 0x0040000 /* personality(2) flag */

static bool randomizing(void)
{
	return READ_ONCE(mm_randomize) &&
	       !(READ_ONCE(current->proc->personality) & ADDR_NO_RANDOMIZE);
}

/* A random page-aligned offset in [0, range), 0 when not randomising. */
static uintptr_t random_pages(uintptr_t range)
{
	if (!randomizing() || range < 2 * PAGE_SIZE)
		return 0;
	return (uintptr_t)(random_u64() % (range >> PAGE_SHIFT)) << PAGE_SHIFT;
}

static uintptr_t stack_random_range(void)
{
	return MIN(hal_user_max >> 8, (uintptr_t)16 << 30);
}

void mm_layout_exec(struct mm *mm, size_t stack_size)
{
	/* The page above the stack is the riscv64 signal trampoline's. */
	uintptr_t top = ALIGN_DOWN(hal_user_max, PAGE_SIZE) - PAGE_SIZE;
	uintptr_t gap = MIN(MAX(ALIGN_UP(stack_size, PAGE_SIZE), STACK_GAP_MIN),
			    hal_user_max / 6 * 5);

	gap += stack_random_range() + STACK_GUARD_GAP;
	mm->stack_top = top - random_pages(stack_random_range());
	mm->mmap_base = top - gap - random_pages(hal_user_max >> 7);
}

size_t mm_layout_stack_offset(void)
{
	if (!randomizing())
		return 0;
	return (size_t)(random_u64() % 8192) & ~(size_t)15;
}

uintptr_t mm_layout_dyn_base(void)
{
	return ALIGN_DOWN(hal_user_max / 3 * 2, PAGE_SIZE) + random_pages(hal_user_max >> 7);
}

uintptr_t mm_layout_brk(uintptr_t end)
{
	return ALIGN_UP(end, PAGE_SIZE) + random_pages(BRK_RANDOM);
}
