/* farmemd's settings, from the command line (flags.c). */
#ifndef FARMEMD_CONFIG_H
#define FARMEMD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "far/wire.h"

typedef struct config {
  char listen[64];       /* numeric IPv4 or IPv6 address */
  unsigned port;         /* 0: ephemeral */
  uint64_t capacity;     /* bytes of object storage across all namespaces */
  uint64_t prefault;     /* bytes of object storage to touch in advance (objmem.c), 0: none */
  char token[FAR_WIRE_MAX_TOKEN];
  size_t token_len;      /* 0: no token required */
  unsigned threads;
  unsigned spin_us;      /* how long a worker busy-polls after activity before it blocks */
  unsigned idle_timeout_ms;
  unsigned max_conns;    /* connections beyond this are closed at once */
  int log_level;
  const char *offload[16]; /* --offload module paths, in order */
  unsigned noffload;
  int default_offload;     /* load farmem's own vector module (--default-offload yes|no) */
} config;

/* Parses argv into cfg. Returns -1 to continue, or an exit status (0 after --help/--version, 2 after
 * printing a one-line error naming the flag). */
int flags_parse(int argc, char **argv, config *cfg);

#endif
