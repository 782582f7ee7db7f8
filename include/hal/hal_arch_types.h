/*
 * Dispatch to the architecture's complete definitions of struct trap_frame
 * and struct hal_context (SerenityOS style: chosen at compile time).
 */
#pragma once
#if defined(FERRITE_HOST)
#include <fake/arch_types.h>
#elif defined(__riscv)
#include <hal/riscv64/arch_types.h>
#elif defined(__x86_64__)
#include <hal/x86_64/arch_types.h>
#else
#error "unsupported architecture"
#endif
