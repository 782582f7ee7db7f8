/* HAL: syscall argument access lives with the trap frame. */
#pragma once
#include <hal/hal_trap.h>
