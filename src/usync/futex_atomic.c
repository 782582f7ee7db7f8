/*
 * Atomic read-modify-write of a user futex word, done on the kernel's
 * direct map of the page's frame, so it is atomic against user threads on
 * other CPUs as well (the page is resolved for writing first, which breaks
 * copy-on-write). The frame reference keeps the memory valid even if the
 * user unmaps the page meanwhile; the write then goes to the orphaned page,
 * which is what a racing munmap deserves.
 * Lock: none of its own; futex_op_apply may run under bucket locks.
 */
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/vm.h>
#include "futex_internal.h"

struct frame *futex_pin_word(struct mm *mm, uintptr_t uaddr, unsigned access, uint32_t **word)
{
	struct frame *f;

	if (!mm || (uaddr & 3))
		return NULL;
	f = mm_get_user_frame(mm, uaddr, access);
	if (f)
		*word = (uint32_t *)((char *)frame_to_virt(f) + (uaddr & (PAGE_SIZE - 1)));
	return f;
}

int futex_cmpxchg_user(struct mm *mm, uintptr_t uaddr, uint32_t old, uint32_t new,
		       uint32_t *cur)
{
	uint32_t *word;
	struct frame *f = futex_pin_word(mm, uaddr, VM_WRITE, &word);

	if (!f)
		return -EFAULT;
	__atomic_compare_exchange_n(word, &old, new, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	*cur = old; /* the value found, whether or not it matched */
	frame_put(f);
	return 0;
}

int futex_op_valid(uint32_t encoded_op)
{
	unsigned op = (encoded_op >> 28) & 7, cmp = (encoded_op >> 24) & 15;

	if (op > FUTEX_OP_XOR || cmp > FUTEX_OP_CMP_GE)
		return -ENOSYS;
	return 0;
}

int futex_op_apply(uint32_t encoded_op, uint32_t *word)
{
	unsigned op = (encoded_op >> 28) & 7, cmp = (encoded_op >> 24) & 15;
	int32_t oparg = (int32_t)(encoded_op << 8) >> 20;
	int32_t cmparg = (int32_t)(encoded_op << 20) >> 20;
	uint32_t arg, old;

	if (encoded_op & ((uint32_t)FUTEX_OP_OPARG_SHIFT << 28))
		oparg = (int32_t)(1u << (oparg & 31)); /* Linux masks a bad shift too */
	arg = (uint32_t)oparg;
	switch (op) {
	case FUTEX_OP_SET:
		old = __atomic_exchange_n(word, arg, __ATOMIC_SEQ_CST);
		break;
	case FUTEX_OP_ADD:
		old = __atomic_fetch_add(word, arg, __ATOMIC_SEQ_CST);
		break;
	case FUTEX_OP_OR:
		old = __atomic_fetch_or(word, arg, __ATOMIC_SEQ_CST);
		break;
	case FUTEX_OP_ANDN:
		old = __atomic_fetch_and(word, ~arg, __ATOMIC_SEQ_CST);
		break;
	default: /* FUTEX_OP_XOR; futex_op_valid rejected the rest */
		old = __atomic_fetch_xor(word, arg, __ATOMIC_SEQ_CST);
		break;
	}
	switch (cmp) {
	case FUTEX_OP_CMP_EQ:
		return (int32_t)old == cmparg;
	case FUTEX_OP_CMP_NE:
		return (int32_t)old != cmparg;
	case FUTEX_OP_CMP_LT:
		return (int32_t)old < cmparg;
	case FUTEX_OP_CMP_LE:
		return (int32_t)old <= cmparg;
	case FUTEX_OP_CMP_GT:
		return (int32_t)old > cmparg;
	default:
		return (int32_t)old >= cmparg;
	}
}
