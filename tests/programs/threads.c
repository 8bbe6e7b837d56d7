/* Several threads: each builds and scans its own far list, all update a shared far array of
 * counters with atomics and under a mutex; results are checked after the join. */
#include <far/annotations.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct __remoteable node {
  long value;
  struct node *next;
  char pad[1000];
};

struct __remoteable counters {
  long atomic_hits[64];
  long locked_hits[64];
};

enum { THREADS = 4 };
static long PER_THREAD = 6000;
static struct counters *shared;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long results[THREADS];

static void *worker(void *arg) {
  long id = (long)arg;
  struct node *head = NULL;
  for (long i = 0; i < PER_THREAD; i++) {
    struct node *n = malloc(sizeof *n);
    n->value = id * 1000000 + i;
    n->pad[i % 1000] = (char)i;
    n->next = head;
    head = n;
    __atomic_fetch_add(&shared->atomic_hits[i % 64], 1, __ATOMIC_RELAXED);
    if (i % 16 == 0) {
      pthread_mutex_lock(&lock);
      shared->locked_hits[(i / 16) % 64] += id + 1;
      pthread_mutex_unlock(&lock);
    }
  }
  long sum = 0;
  for (int pass = 0; pass < 2; pass++)
    for (struct node *n = head; n; n = n->next) sum += n->value % 1000 + n->pad[n->value % 1000];
  while (head) {
    struct node *next = head->next;
    free(head);
    head = next;
  }
  results[id] = sum;
  return NULL;
}

int main(int argc, char **argv) {
  /* argv[1]: workload scale (benchmarks/overhead runs larger workloads) */
  const long scale = argc > 1 ? atol(argv[1]) : 1;
  PER_THREAD *= scale;
  shared = calloc(1, sizeof *shared);
  pthread_t threads[THREADS];
  for (long t = 0; t < THREADS; t++) pthread_create(&threads[t], NULL, worker, (void *)t);
  for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
  long atomic = 0, locked = 0;
  for (int i = 0; i < 64; i++) {
    atomic += shared->atomic_hits[i];
    locked += shared->locked_hits[i];
  }
  for (int t = 0; t < THREADS; t++) printf("thread %d sum %ld\n", t, results[t]);
  printf("atomic %ld locked %ld\n", atomic, locked);
  free(shared);
  return 0;
}
