/*
 * The fake HAL for host unit tests (test/fake/). Physical addresses equal
 * host pointers (hal_direct_map_offset = 0); page tables are hash maps.
 */
#pragma once
#include <ferrite/types.h>

struct hal_pt;
struct file;

/* Give the frame allocator `bytes` of fresh host memory and start kmalloc.
 * Call once per test process (e.g. from a group setup). */
void fake_mm_init(size_t bytes);
/* Entries currently in a fake page table. */
size_t fake_pt_entries(struct hal_pt *pt);
/* The table last passed to hal_pt_activate(). */
extern struct hal_pt *fake_active_pt;
/* Number of panic() calls so far (panic aborts through cmocka's mock_assert,
 * so expect_assert_failure() can catch a BUG_ON). */
extern int fake_panic_count;
/* The CPU id hal_cpu_id() reports (default 0). */
extern unsigned fake_cpu_id;

/* A fake regular file whose contents are data[0..size) (copied). */
struct file *fake_file_create(const void *data, size_t size);
int fake_file_refcount(struct file *f);
