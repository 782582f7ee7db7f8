/*
 * Kernel side of the vDSO (include/ferrite/vdso.h): the image built from
 * src/vdso/vdso.c is linked into the kernel (vdso_image_start/end). The
 * first exec builds the master copy: a vm_object holding the image padded
 * to whole pages, its data block (found by its magic) filled with the
 * counter parameters from hal_vdso_clock() and the portable ones (realtime
 * offset, tick). Every exec maps that object privately, read+execute: all
 * processes share its frames, so an update of the realtime offset
 * (clock_settime) reaches them all at once; a process that makes its copy
 * writable and writes to it gets a copy-on-write page of its own.
 * Locking: vdso_lock (a leaf spinlock) publishes vdso_object and
 * vdso_master_data once, and orders the stores of the realtime offset:
 * each store copies hal_boot_realtime_ns() under it, so the last one
 * leaves the current value. Readers of vdso_object need no lock (acquire
 * load); vdso_data_off is the same for every builder.
 */
#include <ferrite/frame.h>
#include <ferrite/printk.h>
#include <ferrite/spinlock.h>
#include <ferrite/string.h>
#include <ferrite/vdso.h>
#include <ferrite/vm.h>
#include <hal/hal_timer.h>
#include <uapi/time.h>

extern char vdso_image_start[], vdso_image_end[];

static struct spinlock vdso_lock = SPINLOCK_INIT("vdso");
static struct vm_object *vdso_object;	/* set once, then read only */
static struct vdso_data *vdso_master_data; /* its data block; Lock: vdso_lock */
static size_t vdso_data_off;		/* the data block's offset in the image */
static bool vdso_broken;		/* no data block in the image: no vDSO */

static size_t vdso_len(void)
{
	return (size_t)(vdso_image_end - vdso_image_start);
}

/* Bytes mapped: the image rounded up to whole pages. */
static size_t vdso_size(void)
{
	return ALIGN_UP(vdso_len(), PAGE_SIZE);
}

/* The data block's offset in the image (64-byte aligned, so inside one
 * page), or false when it has none. */
static bool vdso_find_data(size_t *off_out)
{
	size_t len = vdso_len();

	for (size_t off = 0; off + sizeof(struct vdso_data) <= len; off += 8) {
		uint64_t magic;

		memcpy(&magic, vdso_image_start + off, sizeof(magic));
		if (magic == VDSO_DATA_MAGIC) {
			*off_out = off;
			return true;
		}
	}
	return false;
}

/* The data block inside obj's frames. */
static struct vdso_data *vdso_data_in(struct vm_object *obj)
{
	struct frame *f = vm_object_page(obj, vdso_data_off / PAGE_SIZE);

	return f ? (struct vdso_data *)((char *)frame_to_virt(f) + vdso_data_off % PAGE_SIZE)
		 : NULL;
}

/* Copy the image into obj, page by page. */
static bool vdso_fill(struct vm_object *obj)
{
	size_t len = vdso_len();

	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		struct frame *f = vm_object_page(obj, off / PAGE_SIZE);

		if (!f)
			return false;
		memcpy(frame_to_virt(f), vdso_image_start + off, MIN(PAGE_SIZE, len - off));
	}
	return true;
}

/* A filled object, but for the realtime offset (set at publication). */
static struct vm_object *vdso_build(struct vdso_data **data)
{
	struct vm_object *obj;
	struct vdso_data *d;
	size_t off;

	if (!vdso_find_data(&off)) {
		pr_warn("vdso: data block not found, no vDSO\n");
		WRITE_ONCE(vdso_broken, true);
		return NULL;
	}
	WRITE_ONCE(vdso_data_off, off);
	obj = vm_object_create(vdso_size() / PAGE_SIZE);
	if (!obj)
		return NULL;
	if (!vdso_fill(obj) || !(d = vdso_data_in(obj))) {
		vm_object_put(obj);
		return NULL;
	}
	memset(d, 0, sizeof(*d));
	d->coarse_res_ns = NSEC_PER_SEC / HAL_TIMER_HZ;
	hal_vdso_clock(d);
	*data = d;
	return obj;
}

void vdso_init(void)
{
	struct vm_object *obj;
	struct vdso_data *d;
	bool published = false;

	if (__atomic_load_n(&vdso_object, __ATOMIC_ACQUIRE) || READ_ONCE(vdso_broken))
		return;
	obj = vdso_build(&d);
	if (!obj)
		return;
	spin_lock(&vdso_lock);
	if (!vdso_object) {
		d->realtime_offset_ns = hal_boot_realtime_ns();
		vdso_master_data = d;
		__atomic_store_n(&vdso_object, obj, __ATOMIC_RELEASE);
		published = true;
	}
	spin_unlock(&vdso_lock);
	if (!published)
		vm_object_put(obj); /* another CPU published first */
}

void vdso_sync_realtime_offset(void)
{
	spin_lock(&vdso_lock);
	if (vdso_master_data)
		__atomic_store_n(&vdso_master_data->realtime_offset_ns, hal_boot_realtime_ns(),
				 __ATOMIC_RELAXED);
	spin_unlock(&vdso_lock);
}

uintptr_t vdso_exec_map(struct mm *mm)
{
	struct vm_object *obj;
	long addr;

	vdso_init();
	obj = __atomic_load_n(&vdso_object, __ATOMIC_ACQUIRE);
	if (!obj)
		return 0;
	addr = mm_map_object(mm, 0, vdso_size(), PROT_READ | PROT_EXEC, MAP_PRIVATE, obj, 0);
	return addr < 0 ? 0 : (uintptr_t)addr;
}
