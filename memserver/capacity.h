/* The server-wide cap on stored object memory (--capacity), shared by all namespaces. */
#ifndef FARMEMD_CAPACITY_H
#define FARMEMD_CAPACITY_H

#include <stdint.h>

/* What one stored object of class cls is charged: its full size plus bookkeeping. */
#define CAPACITY_OBJ_OVERHEAD 32u
static inline uint64_t capacity_charge(unsigned cls) { return (1ull << cls) + CAPACITY_OBJ_OVERHEAD; }

void capacity_init(uint64_t limit);
/* Takes n bytes of capacity; 0 on success, -1 (nothing taken) when the cap would be exceeded. */
int capacity_reserve(uint64_t n);
void capacity_release(uint64_t n);
uint64_t capacity_limit(void);
uint64_t capacity_used(void);

#endif
