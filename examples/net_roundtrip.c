/* The smallest use of the network path: store objects on a farmemd and read them back through the
 * runtime's client, with no compiler plugin involved. scripts/demo runs it against a server it starts,
 * which shows that the server, the wire protocol and the client work on this machine. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "far/net.h"

enum { OBJECTS = 10000, CLS = 6 /* 64-byte objects */ };

static void fill(unsigned char *buf, uint64_t id) {
  for (size_t i = 0; i < (1u << CLS); i++) buf[i] = (unsigned char)(id * 31 + i);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s HOST:PORT\n", argv[0]);
    return 2;
  }
  char err[256];
  far_net_config cfg = {.servers = argv[1]};
  far_net *net = far_net_open(&cfg, err, sizeof err);
  if (!net) {
    fprintf(stderr, "net_roundtrip: %s\n", err);
    return 1;
  }
  unsigned char want[1u << CLS], got[1u << CLS];
  for (uint64_t id = 0; id < OBJECTS; id++) {
    fill(want, id);
    int st = far_net_write(net, CLS, id, want, sizeof want);
    if (st != FAR_OK) {
      fprintf(stderr, "net_roundtrip: write of object %llu: %s\n", (unsigned long long)id, far_status_name(st));
      return 1;
    }
  }
  unsigned mismatches = 0;
  for (uint64_t id = 0; id < OBJECTS; id++) {
    int st = far_net_read(net, CLS, id, got);
    fill(want, id);
    if (st != FAR_OK || memcmp(want, got, sizeof got) != 0) mismatches++;
  }
  printf("stored %d objects of %d bytes on %s and read them back: %u mismatches\n", OBJECTS, 1 << CLS,
         argv[1], mismatches);
  char *stats = NULL;
  if (far_net_stats(net, &stats) == FAR_OK) {
    printf("server statistics:\n%s", stats);
    free(stats);
  }
  far_net_close(net);
  return mismatches ? 1 : 0;
}
