/*
 * The kernel's stack protector (src/lib/stack_protector.c): a random
 * canary per boot, set once early in kmain.
 */
#pragma once

void stack_protector_init(void);
