/* The prelude farcc includes before every C source it compiles: the runtime API the plugin emits
 * calls to, the annotations, and the libc interop entry points. The spellings below are what the
 * plugin (pass/) recognises; see docs/plugin.md. */
#ifndef FAR_FARCC_H
#define FAR_FARCC_H

#define __FARCC__ 1

/* No libc header here: glibc fixes its feature-test macros at the first one it reads, and the
 * program's own (#define _GNU_SOURCE at its top) come after this prelude. far/rt.h and
 * far/interop.h take their few libc types from far/libc_types.h; glibc's <pthread.h>, which names a
 * parameter __scope, is read through far/shield/pthread.h (farcc's -isystem) without the macro. */
#include <far/rt.h>
#include <far/interop.h>

/* A record type with this attribute (or one embedding such a record) is allocated on the far heap. */
#define __remoteable __attribute__((annotate("far_remoteable")))

/* `__scope { ... }` becomes a uniquely named, unused label on the block; the plugin turns the
 * block into { int guard __attribute__((cleanup(__far_scope_close))) = __far_scope_open(..); ... }
 * so the scope is closed on every way out (fall-through, break, continue, goto, return). */
#define __FAR_CAT2(a, b) a##b
#define __FAR_CAT(a, b) __FAR_CAT2(a, b)
#define __scope __FAR_CAT(__far_scope_, __COUNTER__) : __attribute__((unused))
#define __scope_nocache __FAR_CAT(__far_ntscope_, __COUNTER__) : __attribute__((unused))

/* `__nocache(lvalue)`: the access goes through far_read_nt / far_write_nt. The marker call is
 * removed by the plugin; without the plugin it is the identity. */
#define __nocache(lvalue) (*(__typeof__(lvalue) *)__far_nocache_mark(&(lvalue)))

static __inline__ void *__far_nocache_mark(const void *p) { return (void *)p; }

/* A %s argument of a printf-like function (format attribute) that may be far: the plugin marks it
 * with this call and the IR stage passes a local copy of the string instead. */
static __inline__ char *__far_format_string(const char *s) { return (char *)s; }

/* The guard holds the enclosing scope's don't-cache mode, which the block's close restores: a
 * `__scope_nocache` block nested in another scope (a loop scope the plugin holds across
 * iterations, say) makes only its own accesses non-temporal. */
static __inline__ int __far_scope_open(unsigned site, int nontemporal) {
  far_scope_enter(site);
  int outer_nontemporal = (int)(far_self.pending & FAR_PENDING_NT);
  if (nontemporal) far_scope_nontemporal();
  return outer_nontemporal;
}

static __inline__ void __far_scope_close(int *outer_nontemporal) {
  if (!*outer_nontemporal) far_self.pending &= ~FAR_PENDING_NT;
  far_scope_exit();
}

#endif
