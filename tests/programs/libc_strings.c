/* libc on far data beyond tests/programs/libc_interop.c (and a printf-like wrapper of the
 * program's own, given far strings): scanf("%s") straight into a far array
 * that realloc grows (and a copy that reallocarray grows), qsort and bsearch over it, strdup
 * whose result is remoteable, the str* and mem* families, sprintf/snprintf/sscanf/fprintf/puts
 * with far strings, fread/fwrite of far
 * memory, and far lines split in place with strtok, strtok_r and strsep and searched with the GNU
 * extensions. The file defines _GNU_SOURCE before anything else, as many programs do (farcc's
 * prelude must not have fixed glibc's feature-test macros before it). About 35 MB of far data. */
#define _GNU_SOURCE
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>
struct __remoteable rec { int key; char word[40]; double w; char big[200]; };
typedef struct __remoteable { char text[1]; } rstr;    /* remoteable string type for strdup */
struct __remoteable blob { unsigned char bytes[1 << 16]; };

static int cmp(const void *a, const void *b) {
  const struct rec *x = a, *y = b;
  return (x->key > y->key) - (x->key < y->key);
}
static int cmp_word(const void *a, const void *b) { return strcmp(((const struct rec *)a)->word, ((const struct rec *)b)->word); }

/* A logging wrapper: its va_list goes to vprintf, which cannot read far memory, so farcc passes
 * it local copies of far %s arguments (the format attribute says which they are). */
__attribute__((format(printf, 1, 2))) static void note(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
}

/* Deterministic "word number" lines on a temporary file that becomes standard input. */
static void words_on_stdin(int lines) {
  FILE *f = tmpfile();
  unsigned s = 5;
  for (int i = 0; i < lines; i++) {
    char w[32];
    int len = 3 + (s = s * 1103515245u + 12345u) % 27;
    for (int j = 0; j < len; j++) w[j] = (char)('a' + (s = s * 1103515245u + 12345u) % 16);
    w[len] = 0;
    fprintf(f, "%s %u\n", w, (s = s * 1103515245u + 12345u) % 200001);
  }
  rewind(f);
  dup2(fileno(f), 0);
}

struct __remoteable line { char text[200]; char *rest; long words; };
/* Far lines split in place by the three tokenizers and searched with the GNU string functions. */
static void tokens(void) {
  enum { N = 30000 };
  struct line **lines = malloc(N * sizeof *lines);
  for (int i = 0; i < N; i++) {
    lines[i] = calloc(1, sizeof **lines);
    snprintf(lines[i]->text, sizeof lines[i]->text, "w%d,alpha beta;gamma%d,,delta %d", i, i % 97, i * 7);
  }
  long words = 0, len = 0, found = 0;
  for (int i = 0; i < N; i += 3) {
    for (char *t = strtok(lines[i]->text, " ,;"); t; t = strtok(NULL, " ,;")) words++, len += strnlen(t, 8);
  }
  for (int i = 1; i < N; i += 3) {
    lines[i]->rest = lines[i]->text;
    char *f;
    while ((f = strsep(&lines[i]->rest, ",; "))) lines[i]->words++, len += strlen(f);
    words += lines[i]->words;
  }
  for (int i = 2; i < N; i += 3) {
    char *save;
    for (char *t = strtok_r(lines[i]->text, " ,;", &save); t; t = strtok_r(NULL, " ,;", &save)) words++;
    found += memmem(lines[i]->text, 20, "lph", 3) != NULL;
    found += strpbrk(lines[i]->text, "g") != NULL;
    char *e = stpcpy(lines[i]->text, "x"); found += e - lines[i]->text;
    found += strchrnul(lines[i]->text, 'q') - lines[i]->text;
    found += memrchr(lines[i]->text, 'x', 5) != NULL;
  }
  printf("words %ld len %ld found %ld last %s\n", words, len, found, lines[N - 2]->text);
  for (int i = 0; i < N; i++) free(lines[i]);
  free(lines);
}

int main(void) {
  words_on_stdin(60000);
  int cap = 16, n = 0;
  struct rec *arr = malloc(cap * sizeof *arr);
  /* scanf %s directly into far memory, realloc growing the far array */
  for (;;) {
    if (n == cap) { cap *= 2; arr = realloc(arr, cap * sizeof *arr); }
    if (scanf("%39s %d", arr[n].word, &arr[n].key) != 2) break;
    arr[n].w = arr[n].key * 0.5;
    memset(arr[n].big, 'a' + n % 26, sizeof arr[n].big);
    n++;
  }
  printf("read %d records, cap %d\n", n, cap);
  /* a copy grown with reallocarray (an allocation site like realloc) */
  int cap2 = 1;
  struct rec *copy = reallocarray(NULL, cap2, sizeof *copy);
  for (int i = 0; i < n; i++) {
    if (i == cap2) copy = reallocarray(copy, cap2 *= 2, sizeof *copy);
    copy[i] = arr[n - 1 - i];
  }
  printf("copy %d %s %s\n", cap2, copy[0].word, copy[n - 1].word);
  free(copy);
  qsort(arr, n, sizeof *arr, cmp);
  note("min %s %d max %s %d\n", arr[0].word, arr[0].key, arr[n - 1].word, arr[n - 1].key);
  long found = 0;
  for (int k = 0; k < 200000; k += 37) {
    struct rec probe = {.key = k};
    struct rec *hit = bsearch(&probe, arr, n, sizeof *arr, cmp);
    if (hit) found += hit->key + strlen(hit->word);
  }
  printf("found %ld\n", found);
  qsort(arr, n, sizeof *arr, cmp_word);
  printf("first word %s last word %s\n", arr[0].word, arr[n - 1].word);
  /* strdup whose result is remoteable */
  rstr **dups = malloc(n * sizeof *dups);
  for (int i = 0; i < n; i++) dups[i] = (rstr *)strdup(arr[i].word);
  size_t total = 0;
  for (int i = 0; i < n; i++) total += strlen(dups[i]->text);
  printf("dups total %zu first %s\n", total, dups[0]->text);
  /* str* family on far */
  char *cat = malloc(256);   /* local */
  struct rec *r = malloc(sizeof *r);
  strcpy(r->word, "hello");
  strcat(r->word, "-world");
  strncat(r->word, "-xyzzy", 3);
  snprintf(cat, 256, "%s|%s|%.3s", r->word, arr[1].word, dups[2]->text);
  printf("%s len=%zu chr=%s rchr=%s str=%s cmp=%d ncmp=%d\n", cat, strlen(r->word), strchr(r->word, '-'),
         strrchr(r->word, '-'), strstr(r->word, "wor"), strcmp(r->word, arr[0].word) > 0, strncmp(r->word, "hell", 4));
  sprintf(r->word, "%d-%s", 42, "forty-two");
  printf("sprintf into far: %s\n", r->word);
  char line[64]; sscanf(r->word, "%d-%s", &r->key, line); printf("sscanf from far: %d %s\n", r->key, line);
  fprintf(stdout, "fprintf %s %s\n", r->word, arr[2].word);
  puts(arr[3].word);
  /* mem* */
  memmove(r->big + 10, arr[4].big, 100);
  memcpy(r->big, r->big + 100, 50);      /* within one far object, not overlapping */
  memset(r->big + 150, 'z', 50);
  printf("memcmp %d %d memchr %d\n", memcmp(r->big, arr[4].big, 10) == 0, memcmp(r->big + 150, "zzz", 3), memchr(r->big, 'z', 200) != NULL);
  /* fwrite/fread far memory through a temp file */
  struct blob *b = malloc(sizeof *b), *b2 = calloc(1, sizeof *b2);
  for (size_t i = 0; i < sizeof b->bytes; i++) b->bytes[i] = (unsigned char)(i * 7);
  FILE *f = tmpfile();
  fwrite(b, 1, sizeof *b, f);
  fwrite(arr, sizeof *arr, n, f);
  rewind(f);
  size_t got = fread(b2, 1, sizeof *b2, f);
  struct rec *arr2 = malloc(n * sizeof *arr2);
  got += fread(arr2, sizeof *arr2, n, f);
  fclose(f);
  printf("fread %zu same %d same2 %d\n", got, memcmp(b, b2, sizeof *b) == 0, memcmp(arr, arr2, n * sizeof *arr) == 0);
  for (int i = 0; i < n; i++) free(dups[i]);
  free(dups); free(arr); free(arr2); free(b); free(b2); free(r); free(cat);
  tokens();
  return 0;
}
