/* The farmem data structures, all at once: far arrays, vectors, lists, stacks, queues and
 * hashtables, and the vector operations that run inside farmemd (toolchain.md, "Data structures").
 * Each header can also be included on its own. */
#ifndef FAR_DS_H
#define FAR_DS_H

#include <far/ds/array.h>
#include <far/ds/hashtable.h>
#include <far/ds/list.h>
#include <far/ds/queue.h>
#include <far/ds/stack.h>
#include <far/ds/vector.h>
#include <far/ds/vec_ops.h>

#endif
