/*
 * HAL: device register access and the barriers drivers need around shared
 * (DMA) memory. Registers are reached through a pointer from hal_ioremap()
 * (hal_dev.h); every access is one volatile load or store of its width.
 *
 * hal_mb()  orders all earlier memory and I/O accesses before later ones
 *           (riscv64: fence iorw,iorw; x86_64: mfence).
 * hal_wmb() orders earlier stores before later stores (ring entries before
 *           the index that publishes them).
 * hal_rmb() orders earlier loads before later loads (an index before the
 *           entries it covers).
 */
#pragma once
#include <ferrite/types.h>

#if defined(FERRITE_HOST)
static inline void hal_mb(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
static inline void hal_wmb(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
static inline void hal_rmb(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
#elif defined(__riscv)
#include <hal/riscv64/io_inline.h>
#elif defined(__x86_64__)
#include <hal/x86_64/io_inline.h>
#else
#error "unsupported architecture"
#endif

static inline uint8_t io_read8(const volatile void *a) { return *(const volatile uint8_t *)a; }
static inline uint16_t io_read16(const volatile void *a) { return *(const volatile uint16_t *)a; }
static inline uint32_t io_read32(const volatile void *a) { return *(const volatile uint32_t *)a; }
static inline void io_write8(volatile void *a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void io_write16(volatile void *a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline void io_write32(volatile void *a, uint32_t v) { *(volatile uint32_t *)a = v; }
/* Two 32-bit stores, low half first (virtio allows it for 64-bit fields). */
static inline void io_write64_split(volatile void *a, uint64_t v)
{
	io_write32(a, (uint32_t)v);
	io_write32((volatile uint8_t *)a + 4, (uint32_t)(v >> 32));
}
