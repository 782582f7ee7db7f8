/* Host unit tests: stand-in trap frame and context (never used to run code). */
#pragma once
#include <ferrite/types.h>

struct trap_frame {
	unsigned long regs[32];
	unsigned long pc, sp;
};

struct hal_context {
	unsigned long regs[16];
	unsigned long tls;
};
