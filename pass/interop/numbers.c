/* String-to-number conversions on far strings: parsed from a bounce copy, with the end pointer
 * translated back into the far original. */
#include "interop_internal.h"

#include <far/interop.h>
#include <far/rt.h>

#include <stdlib.h>

/* Stores the far equivalent of local end position E (inside bounce B of far string S). */
static void set_end(char **end, const char *s, const char *b, const char *e) {
  if (!end) return;
  char *translated = (char *)s + (e - b);
  far_memcpy(end, &translated, sizeof translated);
}

#define FARCC_STRTO_INT(name, type)                                  \
  type farcc_##name(const char *s, char **end, int base) {           \
    const char *b = farcc_bounce_in(s, 0);                           \
    char *e;                                                         \
    type value = name(b, &e, base);                                  \
    set_end(end, s, b, e);                                           \
    farcc_bounce_release(b, s);                                      \
    return value;                                                    \
  }

#define FARCC_STRTO_FLOAT(name, type)                                \
  type farcc_##name(const char *s, char **end) {                     \
    const char *b = farcc_bounce_in(s, 0);                           \
    char *e;                                                         \
    type value = name(b, &e);                                        \
    set_end(end, s, b, e);                                           \
    farcc_bounce_release(b, s);                                      \
    return value;                                                    \
  }

FARCC_STRTO_INT(strtol, long)
FARCC_STRTO_INT(strtoul, unsigned long)
FARCC_STRTO_INT(strtoll, long long)
FARCC_STRTO_INT(strtoull, unsigned long long)
FARCC_STRTO_FLOAT(strtod, double)
FARCC_STRTO_FLOAT(strtof, float)
