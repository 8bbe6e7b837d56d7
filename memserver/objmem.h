/* The buffers of stored objects (objmem.c): large ones in huge-page slabs, small ones inline. */
#ifndef FARMEMD_OBJMEM_H
#define FARMEMD_OBJMEM_H

#include "store.h"

/* A new object of class cls (length 0, 2^cls bytes of buffer, contents undefined); NULL when out
 * of memory. Thread-safe. */
store_obj *store_obj_new(unsigned cls);
/* Frees o and its buffer. Thread-safe. */
void store_obj_free(store_obj *o);

/* Starts a thread that maps and touches `bytes` (rounded up to 2 MiB) of chunks for objects of
 * 4 KiB to 1 MiB and keeps them (never unmapped while empty). -1 when the thread cannot start. */
int objmem_prefault_start(size_t bytes);
/* The bytes the prefault thread has prepared so far. */
size_t objmem_prefaulted(void);

#endif
