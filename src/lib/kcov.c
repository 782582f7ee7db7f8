/*
 * kcov (include/ferrite/kcov.h): the coverage device of the coverage
 * kernels. This file is built only there, and never instrumented itself.
 *
 * A struct kcov is one open /dev/kcov. KCOV_INIT_TRACE gives it an area of
 * `size` 64-bit words in a vm_object (mmap shares those frames with user
 * space; the kernel writes them through the direct map). KCOV_ENABLE
 * attaches it to the calling task: from then on every instrumented basic
 * block that task runs appends its PC (__sanitizer_cov_trace_pc), word 0
 * counting them, until KCOV_DISABLE, the task's exit or a full area.
 *
 * Ownership: the file holds one reference, the task it is enabled on a
 * second. Locking: k->lock guards the mode and owner; t->kcov is written
 * only by the task itself (enable, disable, exit), and read locklessly by
 * the trace hook running in that same task. Interrupt handlers that run
 * instrumented code while the task is current add their PCs too (no
 * per-CPU interrupt nesting count to filter them; the fuzzer sees them as
 * noise it has already seen).
 */
#include <ferrite/kcov.h>
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/ref.h>
#include <ferrite/task.h>
#include <ferrite/vfs.h>
#include <ferrite/vm.h>

#define KCOV_MAJOR 10  /* misc, as Linux's debugfs file has none */
#define KCOV_MINOR 252
#define KCOV_MAX_WORDS (1ul << 21) /* 16 MiB of PCs */
#define WORDS_PER_PAGE (PAGE_SIZE / sizeof(uint64_t))

enum kcov_mode { KCOV_MODE_NEW, KCOV_MODE_INIT, KCOV_MODE_ENABLED };

struct kcov {
	struct ref ref;
	struct spinlock lock;
	int mode;             /* enum kcov_mode; Lock: lock */
	struct task *owner;   /* enabled on it (borrowed); Lock: lock */
	unsigned long size;   /* words, set once by INIT_TRACE */
	struct vm_object *obj;
	uint64_t **pages;     /* kernel address of each page of obj */
};

/* How many kcovs are enabled anywhere: the hook's first, cheapest test
 * (zero during boot, before the per-CPU block is even set up). */
static unsigned long kcov_enabled_count;

static void kcov_release(struct ref *r)
{
	struct kcov *k = container_of(r, struct kcov, ref);

	kfree(k->pages);
	if (k->obj)
		vm_object_put(k->obj);
	kfree(k);
}

static void kcov_put(struct kcov *k)
{
	ref_put(&k->ref, kcov_release);
}

void __sanitizer_cov_trace_pc(void);
void __sanitizer_cov_trace_pc(void)
{
	if (__builtin_expect(!__atomic_load_n(&kcov_enabled_count, __ATOMIC_RELAXED), 1))
		return;
	struct task *t = current;
	if (!t)
		return;
	struct kcov *k = READ_ONCE(t->kcov);
	if (!k)
		return;
	uint64_t *head = k->pages[0];
	uint64_t n = READ_ONCE(head[0]); /* user space may reset it */
	if (n + 1 >= k->size)
		return;
	k->pages[(n + 1) / WORDS_PER_PAGE][(n + 1) % WORDS_PER_PAGE] =
		(uint64_t)(uintptr_t)__builtin_return_address(0);
	WRITE_ONCE(head[0], n + 1);
}

static int kcov_open(struct inode *ino, struct file *f)
{
	struct kcov *k = kzalloc(sizeof(*k));

	if (!k)
		return -ENOMEM;
	ref_init(&k->ref);
	spin_init(&k->lock, "kcov");
	f->private = k;
	return 0;
}

static void kcov_file_release(struct file *f)
{
	struct kcov *k = f->private;

	if (k)
		kcov_put(k);
}

/* INIT_TRACE: the area of size words, every page allocated now. */
static long kcov_init_trace(struct kcov *k, unsigned long size)
{
	if (size < 2 || size > KCOV_MAX_WORDS)
		return -EINVAL;
	size_t npages = (size * sizeof(uint64_t) + PAGE_SIZE - 1) / PAGE_SIZE;
	struct vm_object *obj = vm_object_create(npages);
	if (!obj)
		return -ENOMEM;
	uint64_t **pages = kzalloc(npages * sizeof(*pages));
	if (!pages) {
		vm_object_put(obj);
		return -ENOMEM;
	}
	for (size_t i = 0; i < npages; i++) {
		struct frame *fr;
		int err = vm_object_getpage(obj, i, true, &fr);
		if (err || !fr) {
			kfree(pages);
			vm_object_put(obj);
			return err ? err : -ENOMEM;
		}
		pages[i] = frame_to_virt(fr);
		frame_put(fr); /* the object keeps its own reference */
	}
	guard(spinlock)(&k->lock);
	if (k->mode != KCOV_MODE_NEW) {
		kfree(pages);
		vm_object_put(obj);
		return -EBUSY;
	}
	k->size = size;
	k->obj = obj;
	k->pages = pages;
	k->mode = KCOV_MODE_INIT;
	return 0;
}

static long kcov_enable(struct kcov *k, unsigned long how)
{
	struct task *t = current;

	if (how == KCOV_TRACE_CMP)
		return -EOPNOTSUPP; /* no comparison operands here */
	if (how != KCOV_TRACE_PC)
		return -EINVAL;
	guard(spinlock)(&k->lock);
	if (k->mode != KCOV_MODE_INIT)
		return -EINVAL;
	if (t->kcov)
		return -EBUSY;
	k->mode = KCOV_MODE_ENABLED;
	k->owner = t;
	ref_get(&k->ref);
	WRITE_ONCE(t->kcov, k);
	__atomic_fetch_add(&kcov_enabled_count, 1, __ATOMIC_RELAXED);
	return 0;
}

/* Detach k from t (the current task); drops t's reference. */
static void kcov_detach(struct kcov *k, struct task *t)
{
	scoped_guard(spinlock, &k->lock) {
		k->mode = KCOV_MODE_INIT;
		k->owner = NULL;
	}
	WRITE_ONCE(t->kcov, NULL);
	__atomic_fetch_sub(&kcov_enabled_count, 1, __ATOMIC_RELAXED);
	kcov_put(k);
}

static long kcov_ioctl(struct file *f, unsigned cmd, unsigned long arg)
{
	struct kcov *k = f->private;
	struct task *t = current;

	switch (cmd) {
	case KCOV_INIT_TRACE:
		return kcov_init_trace(k, arg);
	case KCOV_ENABLE:
		return kcov_enable(k, arg);
	case KCOV_DISABLE:
		if (arg || t->kcov != k)
			return -EINVAL; /* only the task it traces disables it */
		kcov_detach(k, t);
		return 0;
	default:
		return -ENOTTY;
	}
}

static struct vm_object *kcov_mmap_object(struct file *f)
{
	struct kcov *k = f->private;

	guard(spinlock)(&k->lock);
	if (k->mode == KCOV_MODE_NEW)
		return ERR_PTR(-EINVAL);
	vm_object_get(k->obj);
	return k->obj;
}

static const struct file_ops kcov_fops = {
	.open = kcov_open,
	.ioctl = kcov_ioctl,
	.release = kcov_file_release,
	.mmap_object = kcov_mmap_object,
};

void kcov_task_exit(struct task *t)
{
	struct kcov *k = t->kcov;

	if (k)
		kcov_detach(k, t);
}

void kcov_dev_init(void)
{
	int err = chrdev_register(MKDEV(KCOV_MAJOR, KCOV_MINOR), &kcov_fops);
	if (!err)
		err = vfs_mknod_at(AT_FDCWD, "/dev/kcov", S_IFCHR | 0666,
				   MKDEV(KCOV_MAJOR, KCOV_MINOR));
	if (err)
		pr_warn("kcov: cannot make /dev/kcov (%d)\n", err);
	else
		pr_info("kcov: coverage kernel, /dev/kcov ready\n");
}
