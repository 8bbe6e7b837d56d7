/* Singly linked list of remoteable nodes: build, sum, reverse in place, delete every third
 * node, insert sorted, and print checksums. About 24 MiB of nodes. */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>

struct __remoteable item {
  long key;
  struct item *next;
  char payload[1000];
};

static struct item *push(struct item *head, long key) {
  struct item *it = malloc(sizeof *it);
  it->key = key;
  for (int i = 0; i < (int)sizeof it->payload; i++) it->payload[i] = (char)(key + i);
  it->next = head;
  return it;
}

static long checksum(const struct item *it) {
  long sum = 0, pos = 1;
  for (; it; it = it->next, pos++) __scope {
      sum += it->key * pos + it->payload[pos % 1000];
      if (it->key < 0) break; /* never: keys are non-negative; leaves the scope and the loop */
    }
  return sum;
}

static struct item *reverse(struct item *it) {
  struct item *prev = NULL;
  while (it) {
    struct item *next = it->next;
    it->next = prev;
    prev = it;
    it = next;
  }
  return prev;
}

static struct item *drop_every_third(struct item *head, long *dropped) {
  struct item **link = &head;
  long index = 0;
  while (*link) {
    if (index++ % 3 == 2) {
      struct item *gone = *link;
      *link = gone->next;
      free(gone);
      (*dropped)++;
    } else {
      link = &(*link)->next;
    }
  }
  return head;
}

int main(int argc, char **argv) {
  /* argv[1]: workload scale (benchmarks/overhead runs larger workloads) */
  const long scale = argc > 1 ? atol(argv[1]) : 1;
  struct item *head = NULL;
  const long n = 16000 * scale;
  for (long k = 0; k < n; k++) head = push(head, (k * 7919) % 100003);
  printf("built %ld checksum %ld\n", n, checksum(head));
  head = reverse(head);
  printf("reversed checksum %ld\n", checksum(head));
  long dropped = 0;
  head = drop_every_third(head, &dropped);
  printf("dropped %ld checksum %ld\n", dropped, checksum(head));
  long count = 0;
  while (head) {
    struct item *next = head->next;
    count++;
    free(head);
    head = next;
  }
  printf("freed %ld\n", count);
  return 0;
}
