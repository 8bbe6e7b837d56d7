/* Far-aware tokenizers (strtok, strtok_r, strsep). They keep a position inside the string between
 * calls, so every call in farcc-compiled code comes here, not only those whose arguments may be
 * far: a later strtok(NULL, ...) or strsep(&rest, ...) has only local arguments but continues in a
 * far string. A far string is searched on a local copy and its delimiters are written back one
 * NUL byte at a time; the saved position may itself sit in far memory. */
#define _GNU_SOURCE /* strsep */
#include "interop_internal.h"

#include <far/interop.h>
#include <far/rt.h>

#include <string.h>

/* *slot and *slot = value for a slot that may be far. */
static char *load(char **slot) {
  char *value;
  far_memcpy(&value, slot, sizeof value);
  return value;
}

static void store(char **slot, char *value) { far_memcpy(slot, &value, sizeof value); }

/* The token of s that starts after skip bytes and ends before the first byte of delim: its end is
 * overwritten with a NUL unless it ends the string (*last); returns where the next search starts. */
static char *cut(char *s, const char *delim, size_t skip, int *last) {
  const char *local = farcc_bounce_in(s, 0), *d = farcc_bounce_in(delim, 0);
  size_t len = strcspn(local + skip, d);
  *last = local[skip + len] == '\0';
  farcc_bounce_release(local, s);
  farcc_bounce_release(d, delim);
  char *end = s + skip + len;
  if (*last) return end;
  far_memset(end, 0, 1);
  return end + 1;
}

char *farcc_strtok_r(char *s, const char *delim, char **save) {
  if (!s) s = load(save);
  if (!s) return NULL;
  if (!far_is_far(s) && !far_is_far(delim)) {
    char *state = s, *token = strtok_r(s, delim, &state);
    store(save, state);
    return token;
  }
  const char *local = farcc_bounce_in(s, 0), *d = farcc_bounce_in(delim, 0);
  size_t skip = strspn(local, d);
  int empty = local[skip] == '\0';
  farcc_bounce_release(local, s);
  farcc_bounce_release(d, delim);
  if (empty) {
    store(save, s + skip);
    return NULL;
  }
  int last;
  store(save, cut(s, delim, skip, &last));
  return s + skip;
}

char *farcc_strtok(char *s, const char *delim) {
  static char *state;
  return farcc_strtok_r(s, delim, &state);
}

char *farcc_strsep(char **sp, const char *delim) {
  char *s = load(sp);
  if (!s) return NULL;
  if (!far_is_far(s) && !far_is_far(delim)) {
    char *token = strsep(&s, delim);
    store(sp, s);
    return token;
  }
  int last;
  char *next = cut(s, delim, 0, &last);
  store(sp, last ? NULL : next);
  return s;
}
