/*
 * Address spaces (struct mm), their VMAs and the vm_objects behind shared
 * mappings. Owned by src/mm.
 *
 * An mm is refcounted (threads sharing CLONE_VM hold references).
 * Lock: mm->lock (a spinlock) protects the VMA list, brk and the page table.
 * Every present user PTE owns one reference to its struct frame; a private
 * page is mapped writable only while that reference is the only one, so a
 * write to a shared (copy-on-write) page faults and is copied.
 * Lock order: mm->lock -> vm_object->lock -> frame allocator lock.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/list.h>
#include <ferrite/ref.h>
#include <ferrite/spinlock.h>

struct hal_pt;
struct file;
struct frame;

/* Linux mmap(2) ABI, identical on riscv64 and x86_64. */
#define PROT_NONE 0x0
#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4
#define PROT_GROWSDOWN 0x01000000
#define PROT_GROWSUP 0x02000000

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_32BIT 0x40 /* x86_64 only; accepted and ignored */
#define MAP_GROWSDOWN 0x0100
#define MAP_DENYWRITE 0x0800
#define MAP_EXECUTABLE 0x1000
#define MAP_LOCKED 0x2000
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_NONBLOCK 0x10000
#define MAP_STACK 0x20000
#define MAP_HUGETLB 0x40000
#define MAP_SYNC 0x80000
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_FAILED ((void *)-1)

#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_FREE 8

#define MS_ASYNC 1
#define MS_INVALIDATE 2
#define MS_SYNC 4

/* VMA flags. The low bits equal HAL_PROT_READ/WRITE/EXEC and PROT_*. */
#define VM_READ 0x1
#define VM_WRITE 0x2
#define VM_EXEC 0x4
#define VM_PROT_MASK 0x7
#define VM_SHARED 0x10    /* MAP_SHARED: writes are seen by every mapper */
#define VM_GROWSDOWN 0x20 /* the user stack */
#define VM_NOMAYWRITE 0x40 /* shared file mapping of a read-only fd: no PROT_WRITE */
#define VM_LOCKED 0x80    /* mlock: counted against RLIMIT_MEMLOCK (no swap: resident) */

#define MCL_CURRENT 1
#define MCL_FUTURE 2
#define MCL_ONFAULT 4
#define MLOCK_ONFAULT 1

/* The stack VMA may grow down to stack_top - MM_STACK_MAX (RLIMIT_STACK). */
#define MM_STACK_MAX (8UL << 20)

/*
 * A vm_object: refcounted backing store of shared pages, indexed by page
 * offset. Pages are allocated zero-filled on first touch and freed when the
 * object is released. Backs MAP_SHARED|MAP_ANONYMOUS, System V shm and
 * ramfs regular files (file_ops.mmap_object).
 */
struct vm_object;

struct vma {
	uintptr_t start, end; /* [start, end), page aligned */
	unsigned flags;
	struct vm_object *obj; /* reference, or NULL */
	uint64_t obj_pgoff;    /* page offset of start within obj */
	struct file *file;     /* reference, or NULL: the mapped file (its pages
				* come from obj when the file has one, else
				* they are read at fault time as private copies) */
	off_t file_off;        /* file offset of start (page aligned) */
	struct list_head node; /* in mm->vmas, sorted by start */
};

struct mm {
	struct ref ref;
	struct spinlock lock;
	struct hal_pt *pt;
	struct list_head vmas;    /* Lock: lock */
	uintptr_t brk_start, brk; /* Lock: lock; set by execve */
	uintptr_t mmap_base;      /* top-down mmap allocation starts below it */
	uintptr_t stack_top;      /* end of the stack region */
	/* argv strings on the initial stack (/proc/<pid>/cmdline); set by
	 * execve before the mm is installed, copied by mm_fork. */
	uintptr_t arg_start, arg_end;
	unsigned def_flags;       /* VM_LOCKED after mlockall(MCL_FUTURE); Lock: lock */
};

/* msync(2) on mm (msync.c): 0 or -errno. May sleep. */
long mm_msync(struct mm *mm, uintptr_t addr, size_t len, int flags);
/* Return: new empty address space (refcount 1) or NULL. */
struct mm *mm_create(void);
/* Return: a copy-on-write copy of parent (refcount 1) or NULL. */
struct mm *mm_fork(struct mm *parent);
void mm_get(struct mm *mm);
/* Drop a reference; the last one frees every page, VMA and the page table.
 * The mm must not be active on any CPU by then. */
void mm_put(struct mm *mm);
/* Switch this CPU to mm's page table (NULL: kernel only). */
void mm_activate(struct mm *mm);

/* mmap(2) semantics on mm. file: borrowed (the VMA takes its own
 * reference). Return the address or -errno. */
long mm_mmap(struct mm *mm, uintptr_t addr, size_t len, int prot, int flags,
	     struct file *file, off_t off);
/* Map obj (borrowed; the VMA takes a reference) from page pgoff. flags:
 * MAP_SHARED or MAP_PRIVATE, optionally MAP_FIXED / MAP_FIXED_NOREPLACE.
 * Return the address or -errno. For System V shm. */
long mm_map_object(struct mm *mm, uintptr_t addr, size_t len, int prot,
		   int flags, struct vm_object *obj, uint64_t pgoff);
int mm_munmap(struct mm *mm, uintptr_t addr, size_t len);
int mm_mprotect(struct mm *mm, uintptr_t addr, size_t len, int prot);
int mm_madvise(struct mm *mm, uintptr_t addr, size_t len, int advice);
/* mlock is allowed at all: RLIMIT_MEMLOCK is not 0, or euid 0
 * (CAP_IPC_LOCK). Else mlock, mlockall and MAP_LOCKED are EPERM. */
bool mm_can_mlock(void);
/* brk(2): return the new (or unchanged) break. */
uintptr_t mm_brk(struct mm *mm, uintptr_t new_brk);
/* mremap(2) on mm. Return the new address or -errno. */
long mm_mremap(struct mm *mm, uintptr_t addr, size_t old_len, size_t new_len, int flags,
	       uintptr_t new_addr);

/* Layout of a new image (src/mm/layout.c). mm_randomize: address-space
 * randomisation on (the default) or off (command line "norandmaps").
 * mm_layout_exec sets mm->stack_top and mm->mmap_base for a stack of
 * stack_size bytes; mm_layout_stack_offset is the random gap (16-byte
 * multiple) below the stack's strings; mm_layout_dyn_base is where a PIE
 * program with an interpreter goes (Linux's ELF_ET_DYN_BASE, randomised);
 * mm_layout_brk is the break's start for a program ending at end. */
extern bool mm_randomize;
void mm_layout_exec(struct mm *mm, size_t stack_size);
size_t mm_layout_stack_offset(void);
uintptr_t mm_layout_dyn_base(void);
uintptr_t mm_layout_brk(uintptr_t end);

/* vm.mmap_min_addr (/proc/sys/vm/mmap_min_addr, default 4096 as Linux):
 * nothing is mapped below it, by execve, mmap, mremap, brk or stack
 * growth. One word, read with READ_ONCE. */
extern unsigned long mmap_min_addr;
/* The lowest address a new mapping may start at: mmap_min_addr rounded up
 * to a page, never below HAL_USER_MIN (page 0 is never mapped). */
uintptr_t mm_min_addr(void);
/* Resolve a fault at addr for access (VM_READ/WRITE/EXEC). 0, -EFAULT when
 * nothing is mapped there, -EACCES when a mapping forbids the access
 * (-ENOMEM when out of memory, -ENXIO past the end of a mapped file or
 * object: the trap code sends SIGBUS). May sleep (file-backed pages). */
int mm_fault(struct mm *mm, uintptr_t addr, unsigned access);
/* Pages resident in mm (for /proc and leak checks). */
size_t mm_resident_pages(struct mm *mm);
/* Number of VMAs (tests, /proc). */
size_t mm_vma_count(struct mm *mm);
/* Return: a copy of the VMA containing addr in *out (refs not taken);
 * false when addr is unmapped. */
bool mm_find_vma_copy(struct mm *mm, uintptr_t addr, struct vma *out);

/*
 * Copy to/from an address space that need not be active, faulting pages in
 * as needed. Like ptrace, these ignore the VMA protection (but need a VMA):
 * execve writes read-only text with them, and the PTEs keep the VMA's
 * protection. 0 or -EFAULT.
 */
int mm_copy_out(struct mm *mm, uintptr_t dst, const void *src, size_t n);
int mm_copy_in(struct mm *mm, void *dst, uintptr_t src, size_t n);
/* Return: new reference to the frame backing user page addr (faulting it in
 * for access), or NULL. For shared futex keys. */
struct frame *mm_get_user_frame(struct mm *mm, uintptr_t addr, unsigned access);

/* vm_object: see above. */
struct vm_object *vm_object_create(size_t npages); /* new ref, or NULL */
void vm_object_get(struct vm_object *obj);
void vm_object_put(struct vm_object *obj);
size_t vm_object_npages(const struct vm_object *obj);
/* Return: the frame at page index (allocated zeroed on first use), borrowed
 * (valid while the object lives); NULL when out of range or out of memory. */
struct frame *vm_object_page(struct vm_object *obj, size_t index);
/* Pages of obj that currently exist (shm_nattch / IPC_STAT accounting). */
size_t vm_object_resident(struct vm_object *obj);
/* A growable object of npages (0 allowed) for file data (ramfs): pages are
 * allocated on first touch; *account (optional) tracks the bytes held. */
struct vm_object *vm_object_create_growable(size_t npages, size_t *account);
/* Move the end of obj to npages. Pages past it that nobody maps are freed;
 * mapped ones are zeroed and kept (the mappers keep sharing them). */
void vm_object_set_size(struct vm_object *obj, size_t npages);
/* The frame at index as a new reference in *out: allocated zeroed when
 * alloc, else NULL for a hole. Return 0, -ENXIO when index >= npages (past
 * the end of a file: SIGBUS), or -ENOMEM. */
int vm_object_getpage(struct vm_object *obj, size_t index, bool alloc, struct frame **out);
