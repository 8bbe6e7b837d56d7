/* Shared by the libfarinterop sources: the allocation helper that never returns NULL. */
#ifndef FARCC_INTEROP_INTERNAL_H
#define FARCC_INTEROP_INTERNAL_H

#include <stddef.h>

void *farcc_xmalloc(size_t n);

#endif
