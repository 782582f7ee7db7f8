/* Pass-one symbol table: empty, in the same section as the real one. */
#include <ferrite/ksyms.h>
__attribute__((section(".ksyms"))) const struct ksym ksyms[1] = { { 0, "" } };
__attribute__((section(".ksyms"))) const unsigned ksyms_count = 0;
