/* Chained hash table with string keys stored inside remoteable entries: insert, update, look
 * up and delete; keys go through strcpy/strcmp/strlen/printf("%s") on far memory. */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct __remoteable entry {
  char key[32];
  long value;
  struct entry *next;
  char note[900];
};

enum { BUCKETS = 1 << 16 };
static struct entry *table[BUCKETS]; /* global array of far pointers */

static unsigned hash(const char *s) {
  unsigned h = 2166136261u;
  while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
  return h % BUCKETS;
}

/* One explicit scope per probed entry; `return` leaves it through its cleanup. */
static struct entry *lookup(const char *key) {
  for (struct entry *e = table[hash(key)]; e; e = e->next) __scope {
      if (e->key[0] != key[0]) continue;
      if (strcmp(e->key, key) == 0) return e;
    }
  return NULL;
}

static void put(const char *key, long value) {
  struct entry *e = lookup(key);
  if (e) {
    e->value += value;
    return;
  }
  e = malloc(sizeof *e);
  strcpy(e->key, key);
  snprintf(e->note, sizeof e->note, "first=%ld len=%zu", value, strlen(key));
  e->value = value;
  unsigned h = hash(e->key);
  e->next = table[h];
  table[h] = e;
}

static int erase(const char *key) {
  for (struct entry **link = &table[hash(key)]; *link; link = &(*link)->next)
    if (!strcmp((*link)->key, key)) {
      struct entry *gone = *link;
      *link = gone->next;
      free(gone);
      return 1;
    }
  return 0;
}

int main(int argc, char **argv) {
  /* argv[1]: workload scale (benchmarks/overhead runs larger workloads) */
  const long scale = argc > 1 ? atol(argv[1]) : 1;
  char key[32];
  for (long i = 0; i < 20000 * scale; i++) {
    snprintf(key, sizeof key, "key-%ld-%ld", i % (16000 * scale), (i * 37) % 11);
    put(key, i);
  }
  long erased = 0;
  for (long i = 0; i < 16000 * scale; i += 5) {
    snprintf(key, sizeof key, "key-%ld-%ld", i, (i * 37) % 11);
    erased += erase(key);
  }
  long entries = 0, total = 0, longest = 0;
  for (int b = 0; b < BUCKETS; b++) {
    long chain = 0;
    for (struct entry *e = table[b]; e; e = e->next, chain++) {
      entries++;
      total += e->value + (long)strlen(e->note);
    }
    if (chain > longest) longest = chain;
  }
  struct entry *probe = lookup("key-12-4");
  printf("entries %ld erased %ld total %ld longest %ld\n", entries, erased, total, longest);
  if (probe) printf("probe %s = %ld (%s)\n", probe->key, probe->value, probe->note);
  return 0;
}
