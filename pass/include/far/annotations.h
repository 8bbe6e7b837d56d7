/* The farmem source annotations, for code that must also build with a plain C compiler.
 * Under farcc (which defines __FARCC__ and includes far/farcc.h first) the annotations mean:
 *   struct __remoteable node { ... };   objects of this type live on the far heap
 *   __scope { ... }                     one deref scope around the block (barrier results reused)
 *   __scope_nocache { ... }             same, and its far accesses do not pollute the local cache
 *   __nocache(lvalue)                   this one access does not pollute the local cache
 * Elsewhere they expand to nothing, to a plain block, and to the lvalue itself. */
#ifndef FAR_ANNOTATIONS_H
#define FAR_ANNOTATIONS_H

#ifndef __FARCC__
#if defined(__has_include) && __has_include(<pthread.h>)
#include <pthread.h> /* glibc names a parameter __scope: include it before the macro exists */
#endif
#define __remoteable
#define __scope
#define __scope_nocache
#define __nocache(lvalue) (lvalue)
#endif

#endif
