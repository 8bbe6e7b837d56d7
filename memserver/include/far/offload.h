/* Writing an offload module for farmemd: functions that run inside the memory server, next to a
 * client's objects, so a client can aggregate or reshape far data without fetching it (AIFM's
 * "remote agent"). See toolchain.md, "Offloaded operations".
 *
 * A module is a shared object loaded with `farmemd --offload path/to/module.so` (repeatable). It
 * exports one entry point,
 *
 *   int farmemd_offload_register(const struct farmemd_offload_api *api);
 *
 * which checks api->abi (refuse with a nonzero return if it is older than the module needs) and calls
 * api->add once per function. A nonzero return, a missing entry point or a name registered twice
 * stops farmemd at startup (exit status 2).
 *
 * A client calls a function by name (wire op OFFLOAD) with an argument blob. The function runs on a
 * server worker thread while the calling client's namespace is locked: it sees a consistent
 * snapshot of that namespace and nothing else (there is no way to name another client's objects).
 * It reads and writes objects by (size class, id) through the accessors below, which bounds-check
 * every access, and ends with api->result (the reply's bytes) or api->fail (an error message, logged
 * by farmemd; the client gets FAR_EOFFLOAD). The argument blob comes from an untrusted peer:
 * validate every count, length and id before use. Functions may be called from several threads at
 * once (for different namespaces), so keep no unsynchronised global state.
 *
 * Example (a module with one function that returns the first 8 bytes of an object):
 *
 *   #include <far/offload.h>
 *   #include <stdint.h>
 *   #include <string.h>
 *
 *   static int peek(far_offload_call *call, const void *args, size_t len) {
 *     const struct farmemd_offload_api *api = far_offload_api(call);
 *     uint64_t ref[2], head;                          // class, id
 *     if (len != sizeof ref) return api->fail(call, "peek: expected 16 bytes of arguments");
 *     memcpy(ref, args, sizeof ref);
 *     if (api->read(call, (unsigned)ref[0], ref[1], 0, &head, sizeof head) != 0)
 *       return api->fail(call, "peek: no such object");
 *     return api->result(call, &head, sizeof head);
 *   }
 *
 *   int farmemd_offload_register(const struct farmemd_offload_api *api) {
 *     if (api->abi < 1) return -1;
 *     return api->add(api, "example.peek", peek);
 *   }
 *
 * Build it with `cc -shared -fPIC -I<prefix>/include -o peek.so peek.c`. */
#ifndef FAR_OFFLOAD_H
#define FAR_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The interface version this header describes. Additions keep older modules working: new members
 * go at the end of struct farmemd_offload_api and raise the number. */
#define FARMEMD_OFFLOAD_ABI 1

/* The name of the entry point farmemd looks up in every module. */
#define FARMEMD_OFFLOAD_ENTRY "farmemd_offload_register"

/* One call in progress: the calling client's namespace, the arguments, the reply being built. Only
 * `api` is public; the server keeps the rest behind it. */
typedef struct far_offload_call {
  const struct farmemd_offload_api *api;
} far_offload_call;

/* An offload function. It must end with `return api->result(...)` or `return api->fail(...)`;
 * any other nonzero return is reported to the client as FAR_EOFFLOAD. */
typedef int (*far_offload_fn)(far_offload_call *call, const void *args, size_t args_len);

struct farmemd_offload_api {
  unsigned abi;    /* FARMEMD_OFFLOAD_ABI of the server */
  size_t max_args;   /* largest argument blob a client can send */
  size_t max_result; /* largest result api->result accepts */

  /* Registration (only inside farmemd_offload_register): name is 1..255 bytes, unique across all
   * loaded modules. Returns 0, or -1 after logging why. */
  int (*add)(const struct farmemd_offload_api *api, const char *name, far_offload_fn fn);

  /* Copies bytes [off, off + len) of object (cls, id) of the caller's namespace into buf; bytes
   * never written read as zeros. -1 when cls is outside 4..20, id outside its class, or the range
   * outside the object's 2^cls bytes. */
  int (*read)(far_offload_call *call, unsigned cls, uint64_t id, size_t off, void *buf, size_t len);
  /* Read-only view of the whole object (2^cls bytes, zeros where never written), valid until the
   * function returns; NULL on the same range errors as read. Avoids a copy for scans. */
  const void *(*view)(far_offload_call *call, unsigned cls, uint64_t id);
  /* Stores len bytes at offset off of object (cls, id), creating it if needed. -1 on a range error
   * or when the server's capacity would be exceeded. */
  int (*write)(far_offload_call *call, unsigned cls, uint64_t id, size_t off, const void *buf,
               size_t len);
  /* Ends the call successfully with a copy of len bytes (len <= max_result) as the result. */
  int (*result)(far_offload_call *call, const void *data, size_t len);
  /* Ends the call with FAR_EOFFLOAD; the formatted message goes to farmemd's log with the function's
   * name and the client's address. Returns a nonzero value to return from the function. */
  int (*fail)(far_offload_call *call, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
};

/* The interface of the server running this call (for use inside an offload function). */
static inline const struct farmemd_offload_api *far_offload_api(far_offload_call *call) {
  return call->api;
}

/* The entry point every module defines. */
int farmemd_offload_register(const struct farmemd_offload_api *api);

#ifdef __cplusplus
}
#endif
#endif
