/* The functions libfarpaging.so interposes when LD_PRELOADed: malloc, free, calloc, realloc,
 * reallocarray, posix_memalign, aligned_alloc, memalign, valloc, pvalloc, malloc_usable_size.
 *
 * The program's allocations go to the arena (paging_alloc.c), where the pager controls residency.
 * The library's own allocations must not: its fault-handler, reclaim and network threads would fault
 * on the very pages they are meant to serve. They are recognised by a thread-local flag (pg_internal)
 * and go to glibc's __libc_* functions, as does everything before the arena is ready. free() and
 * realloc() tell arena blocks from glibc's by address. Threads the library creates (including the
 * network client's poller) get the flag through a --wrap of pthread_create, which only affects
 * calls made from inside this library. */
#define _GNU_SOURCE
#include "paging.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

__thread int pg_internal __attribute__((tls_model("initial-exec")));
atomic_int pg_ready;

/* The library is built with hidden visibility; these are what it exports. */
#define PG_API __attribute__((visibility("default")))

static int use_libc(void) { return pg_internal || !atomic_load_explicit(&pg_ready, memory_order_acquire); }

PG_API void *malloc(size_t size) { return use_libc() ? __libc_malloc(size) : pa_malloc(size); }

/* Set in a fork()ed child, which has no pager (its arena is no longer registered and the handler
 * threads did not survive): from then on it allocates from glibc and never frees into the arena,
 * whose locks another thread may have held at the fork. Enough for the fork-then-exec case. */
static int forked;

static void after_fork_in_child(void) {
  forked = 1;
  atomic_store(&pg_ready, 0);
}

void pg_watch_fork(void) { pthread_atfork(NULL, NULL, after_fork_in_child); }

PG_API void free(void *p) {
  if (p && pg_in_arena(p)) {
    if (!forked)
      pa_free(p);
  } else {
    __libc_free(p);
  }
}

PG_API void *calloc(size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return use_libc() ? __libc_calloc(n, size) : pa_calloc(total);
}

PG_API void *realloc(void *p, size_t size) {
  if (!p)
    return malloc(size);
  if (!pg_in_arena(p))
    return __libc_realloc(p, size); /* glibc's blocks stay glibc's */
  if (forked) { /* moves to glibc's heap */
    void *q = __libc_malloc(size);
    size_t have = pa_usable(p);
    if (q)
      memcpy(q, p, have < size ? have : size);
    return q;
  }
  if (size == 0) {
    pa_free(p);
    return NULL;
  }
  return pa_realloc(p, size);
}

PG_API void *reallocarray(void *p, size_t n, size_t size) {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return realloc(p, total);
}

static void *aligned(size_t align, size_t size) {
  return use_libc() ? __libc_memalign(align, size) : pa_memalign(align, size);
}

PG_API int posix_memalign(void **out, size_t align, size_t size) {
  if (align < sizeof(void *) || (align & (align - 1)))
    return EINVAL;
  int saved = errno;
  void *p = aligned(align, size);
  if (!p)
    return ENOMEM;
  errno = saved;
  *out = p;
  return 0;
}

PG_API void *aligned_alloc(size_t align, size_t size) {
  if (align == 0 || (align & (align - 1))) {
    errno = EINVAL;
    return NULL;
  }
  return aligned(align, size);
}

PG_API void *memalign(size_t align, size_t size) {
  if (align & (align - 1)) { /* glibc rounds a non-power of two up */
    size_t a = 1;
    while (a < align)
      a <<= 1;
    align = a;
  }
  return aligned(align, size);
}

PG_API void *valloc(size_t size) { return aligned(PG_SIZE, size); }

PG_API void *pvalloc(size_t size) { return aligned(PG_SIZE, (size + PG_SIZE - 1) & ~(PG_SIZE - 1)); }

PG_API size_t malloc_usable_size(void *p) {
  static size_t (*libc_usable)(void *);
  if (!p)
    return 0;
  if (pg_in_arena(p))
    return pa_usable(p);
  if (!libc_usable) {
    pg_internal++;
    libc_usable = (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
    pg_internal--;
  }
  return libc_usable ? libc_usable(p) : 0;
}

/* ---- Threads created from inside the library are internal ---- */

struct start {
  void *(*fn)(void *);
  void *arg;
};

static void *internal_start(void *a) {
  pg_internal = 1;
  struct start s = *(struct start *)a;
  __libc_free(a);
  return s.fn(s.arg);
}

extern int __real_pthread_create(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *), void *arg) {
  struct start *s = __libc_malloc(sizeof *s);
  if (!s)
    return EAGAIN;
  *s = (struct start){fn, arg};
  int err = __real_pthread_create(t, attr, internal_start, s);
  if (err)
    __libc_free(s);
  return err;
}
