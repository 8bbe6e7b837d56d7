/* farcc puts this directory first on the system include path. glibc's <pthread.h> names a
 * parameter __scope, which farcc's prelude defines as a macro (the `__scope { ... }` block), so
 * the real header is read with the macro set aside. The prelude itself includes no libc header:
 * the program's own feature-test macros (_GNU_SOURCE ...) must come before glibc's first one. */
#pragma push_macro("__scope")
#undef __scope
#include_next <pthread.h>
#pragma pop_macro("__scope")
