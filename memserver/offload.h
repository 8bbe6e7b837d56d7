/* Offload functions in farmemd: the registry filled from the modules named by --offload (and the
 * bundled vector module), and the OFFLOAD request handler that runs one of them against the calling
 * client's namespace (docs/protocol.md, toolchain.md "Offloaded operations"). */
#ifndef FARMEMD_OFFLOAD_H
#define FARMEMD_OFFLOAD_H

#include "conn.h"
#include "far/offload.h"

/* Loads every module of cfg (and the bundled one unless cfg says not to). Returns -1 to continue, or
 * exit status 2 after printing one line naming the module and the problem. */
int offload_load(const config *cfg);
/* The function registered under name (name_len bytes, not NUL-terminated), or NULL. */
far_offload_fn offload_find(const char *name, size_t name_len);
/* How many functions are registered. */
unsigned offload_count(void);

/* Answers an OFFLOAD request: FAR_ENOENT for an unknown name, else the function's result or
 * FAR_EOFFLOAD. Returns what the reply encoder returned (nonzero: out of memory). */
int offload_serve(conn *c, const far_wire_req *q);

/* The accessors offload functions use (offload_call.c), bound into the registration api. */
extern const struct farmemd_offload_api offload_host_api;

#endif
