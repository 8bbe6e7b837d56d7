/* libc on far data: a far array of records sorted with qsort and searched with bsearch, far
 * text written and read back with fwrite/fread/fgets through a temporary file, and parsed with
 * sscanf, atoi, strstr, strrchr, memchr, memcmp and strncpy. */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct __remoteable record {
  int key;
  char text[60];
};

struct __remoteable page { char bytes[4096]; };

static int by_key(const void *a, const void *b) {
  const struct record *x = a, *y = b;
  return (x->key > y->key) - (x->key < y->key);
}

/* A total order, so that qsort's output is unique (keys may repeat). */
static int by_key_then_text(const void *a, const void *b) {
  int order = by_key(a, b);
  return order ? order : strcmp(((const struct record *)a)->text, ((const struct record *)b)->text);
}

int main(int argc, char **argv) {
  /* argv[1]: workload scale (benchmarks/overhead runs larger workloads) */
  const long scale = argc > 1 ? atol(argv[1]) : 1;
  const int N = 150000 * (int)scale;
  struct record *records = malloc(N * sizeof *records);
  for (int i = 0; i < N; i++) {
    records[i].key = (int)((i * 2654435761u) % 1000003u);
    snprintf(records[i].text, sizeof records[i].text, "rec %d key=%d end", i, records[i].key);
  }
  qsort(records, N, sizeof *records, by_key_then_text);
  long ordered = 1;
  for (int i = 1; i < N; i++) ordered &= records[i - 1].key <= records[i].key;
  struct record probe = {records[N / 3].key, ""};
  struct record *hit = bsearch(&probe, records, N, sizeof *records, by_key);
  int parsed_index = -1, parsed_key = -1;
  sscanf(hit->text, "rec %d key=%d", &parsed_index, &parsed_key);
  printf("ordered %ld hit %d parsed %d/%d\n", ordered, hit->key, parsed_index, parsed_key);

  FILE *f = tmpfile();
  fwrite(records, sizeof *records, N, f);
  rewind(f);
  struct record *again = malloc(N * sizeof *again);
  size_t got = fread(again, sizeof *again, N, f);
  printf("reread %zu same %d\n", got, memcmp(again, records, 1000) == 0 && again[N - 1].key == records[N - 1].key);

  struct page *text = malloc(sizeof *text);
  rewind(f);
  fprintf(f, "alpha 12 beta\ngamma 345 delta\n");
  rewind(f);
  fgets(text->bytes, sizeof text->bytes, f);
  char *second = text->bytes + strlen(text->bytes);
  fgets(second, 100, f);
  fclose(f);
  char *space = strrchr(text->bytes, ' ');
  char *gamma = strstr(text->bytes, "gamma");
  char *newline = memchr(text->bytes, '\n', 40);
  int number = atoi(gamma + 6);
  char word[16] = {0};
  strncpy(word, text->bytes, 5);
  printf("line %s", text->bytes);
  printf("last word %s number %d first %s newline at %ld\n", space + 1, number, word,
         (long)(newline - text->bytes));
  long sum = 0;
  for (int i = 0; i < N; i += 1000) sum += again[i].key + (long)strlen(again[i].text);
  printf("sum %ld\n", sum);
  free(text);
  free(again);
  free(records);
  return 0;
}
