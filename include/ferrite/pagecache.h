/*
 * The page cache of disk files (ext4, FAT regular files): one vm_object per
 * inode, made on first use and owned by the inode (inode->pages, freed by
 * the last inode_put). Its pages are filled by the file system's
 * inode_ops.read_pages and shared by read(2), mmap (MAP_PRIVATE copies on
 * write; MAP_SHARED maps them, changes written back by pagecache_dirty.c)
 * and execve.
 *
 * The cache is write-through: a file system writes data to the device as
 * before (so ordered mode, O_SYNC and the crash guarantees are unchanged)
 * and then copies the same bytes into the cached pages with
 * pagecache_write(), under the lock that serialises its writers. Every
 * change bumps the object's sequence number; a fill that raced with one is
 * thrown away and read again, so a page never holds older data than the
 * device. Pages changed through a MAP_SHARED mapping are marked dirty by
 * the write fault and written back later (see pagecache_dirty.c); reclaim
 * may drop any other page that no mapping holds (least recently used
 * object first).
 *
 * Lock order: fs lock (fs->lock) > mm->lock > vm_object lock > the global
 * cache list lock (taken with trylock from reclaim) > the frame allocator.
 */
#pragma once
#include <ferrite/types.h>

struct inode;
struct file;
struct iobuf;
struct vm_object;
struct frame;
struct super_block;

/* The cache object of ino (made on first use; borrowed: the inode owns it),
 * or NULL on ENOMEM. */
struct vm_object *pagecache_of(struct inode *ino);
/* read(2) from the cache: fills missing pages with iops->read_pages. */
ssize_t pagecache_read(struct inode *ino, const struct iobuf *buf, off_t *pos);
/* file_ops.mmap_object for cached files: a new reference to the object. */
struct vm_object *pagecache_mmap_object(struct file *f);
/* The file system wrote n bytes of src (NULL: zeros) at pos to the device:
 * copy them into the cached pages. Caller holds the fs lock that orders
 * writers. */
void pagecache_write(struct inode *ino, uint64_t pos, const void *src, size_t n);
/* The file's size became size (truncate): pages past it go (mapped ones
 * are zeroed and kept), the tail of the last page is zeroed. */
void pagecache_truncate(struct inode *ino, uint64_t size);
/* Drop ino's cache (the last inode_put). */
void pagecache_release(struct inode *ino);

/* vm_object.c, for the above and fault.c. */
struct vm_object *vm_object_create_cache(struct inode *ino);
bool vm_object_is_cache(const struct vm_object *obj);
/* Page index of a cache object as a new frame reference in *out, read
 * from the file when missing. 0, -ENXIO past the end of file, -ENOMEM,
 * -EIO. May sleep: no spinlock held. */
int vm_object_cache_get(struct vm_object *obj, size_t index, struct frame **out);
/* Like vm_object_getpage without allocation, for fault_locked: *out NULL
 * when the page must be read first (0), -ENXIO past the end of file. */
int vm_object_cache_lookup(struct vm_object *obj, size_t index, struct frame **out);
void vm_object_cache_write(struct vm_object *obj, uint64_t pos, const void *src, size_t n);
void vm_object_cache_truncate(struct vm_object *obj, uint64_t size);
void vm_object_cache_detach(struct vm_object *obj);
/* pagecache_unmap.c: unmap pages index >= first of obj from every
 * address space (truncate under a mapping). No spinlock held. */
void pagecache_unmap_from(struct vm_object *obj, size_t first);
/* Mark obj as mapped (pagecache_unmap_from has work to do); was it? */
void vm_object_cache_mapped(struct vm_object *obj);
bool vm_object_cache_unmap_needed(const struct vm_object *obj);
/* pagecache_dirty.c: write-back of pages changed through shared mappings.
 * Make obj's shared writable mappings read-only (pagecache_unmap.c). */
void pagecache_wrprotect(struct vm_object *obj);
/* Write the dirty pages index first..last-1 of ino (caller holds a
 * reference) and wait. Return the first error of this call. May sleep. */
int pagecache_writeback_range(struct inode *ino, size_t first, size_t last);
/* The write-back error of ino not yet reported (then cleared), or 0. */
int pagecache_writeback_error(struct inode *ino);
/* fsync, fdatasync: write every dirty page of ino, then report an error. */
int pagecache_fsync(struct inode *ino);
/* sync, syncfs, umount: every dirty inode of sb (NULL: all). */
int pagecache_sync(const struct super_block *sb);
/* MS_ASYNC: the flusher thread writes everything dirty now. */
void pagecache_kick_flusher(void);
/* After a user write fault: start the flusher; past the dirty limit,
 * write back the oldest dirty file. No lock held. */
void pagecache_balance_dirty(void);

/* Give back up to want cache pages that nobody maps. Return pages freed. */
size_t pagecache_shrink(size_t want);
/* Pages held by all page caches now. */
size_t pagecache_pages(void);
