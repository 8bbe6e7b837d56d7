/* Far-aware stdio block I/O: far buffers move through a local chunk buffer. */
#include "interop_internal.h"

#include <far/interop.h>
#include <far/rt.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK = 64 * 1024 };

size_t farcc_fwrite(const void *p, size_t size, size_t n, FILE *f) {
  if (!far_is_far(p) || size == 0) return fwrite(p, size, n, f);
  char *buf = farcc_xmalloc(CHUNK);
  size_t total = size * n, done = 0;
  while (done < total) {
    size_t chunk = total - done < CHUNK ? total - done : CHUNK;
    far_memcpy(buf, (const char *)p + done, chunk);
    size_t wrote = fwrite(buf, 1, chunk, f);
    done += wrote;
    if (wrote < chunk) break;
  }
  free(buf);
  return done / size;
}

size_t farcc_fread(void *p, size_t size, size_t n, FILE *f) {
  if (!far_is_far(p) || size == 0) return fread(p, size, n, f);
  char *buf = farcc_xmalloc(CHUNK);
  size_t total = size * n, done = 0;
  while (done < total) {
    size_t chunk = total - done < CHUNK ? total - done : CHUNK;
    size_t got = fread(buf, 1, chunk, f);
    far_memcpy((char *)p + done, buf, got);
    done += got;
    if (got < chunk) break;
  }
  free(buf);
  return done / size;
}

char *farcc_fgets(char *s, int n, FILE *f) {
  if (!far_is_far(s) || n <= 0) return fgets(s, n, f);
  char *buf = farcc_xmalloc((size_t)n);
  char *got = fgets(buf, n, f);
  if (got) far_memcpy(s, buf, strlen(buf) + 1);
  free(buf);
  return got ? s : NULL;
}

/* sprintf into a far buffer: formatted locally (the plugin has already bounced far %s
 * arguments), then copied with its terminator. */
int farcc_sprintf(char *dst, const char *format, ...) {
  va_list args, again;
  va_start(args, format);
  va_copy(again, args);
  int n = vsnprintf(NULL, 0, format, args);
  va_end(args);
  if (n >= 0) {
    char *local = farcc_xmalloc((size_t)n + 1);
    vsnprintf(local, (size_t)n + 1, format, again);
    far_memcpy(dst, local, (size_t)n + 1);
    free(local);
  }
  va_end(again);
  return n;
}
