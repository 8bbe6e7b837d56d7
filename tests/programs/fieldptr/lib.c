/* Helpers compiled as a separate translation unit: they take pointers to fields of far objects
 * without knowing it, so only the IR stage's checked barriers protect their accesses. */
#include "account.h"

#include <stdio.h>
#include <string.h>

void deposit(long *balance, long amount) { *balance += amount; }

void record(int *history, size_t len, int value) {
  memmove(history + 1, history, (len - 1) * sizeof *history);
  history[0] = value;
}

long sum_ints(const int *values, size_t len) {
  long s = 0;
  for (size_t i = 0; i < len; i++) s += values[i];
  return s;
}

void set_owner(char *owner, size_t size, int id) { snprintf(owner, size, "owner-%06d", id); }

size_t owner_length(const char *owner) {
  size_t n = 0;
  while (owner[n]) n++;
  return n;
}

void copy_history(int *dst, const int *src, size_t len) { memcpy(dst, src, len * sizeof *dst); }
