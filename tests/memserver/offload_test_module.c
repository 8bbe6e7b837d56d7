/* A small offload module for the farmemd offload tests: it exercises the host interface itself
 * (results, failures, a function that forgets to answer, bounds-checked accessors), independently
 * of farmem's vector module. Built three ways: normal; TEST_MODULE_REFUSE (its entry point returns
 * nonzero); TEST_MODULE_NO_ENTRY (no entry point at all). */
#include <far/offload.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef TEST_MODULE_NO_ENTRY
static int echo(far_offload_call *call, const void *args, size_t len) {
  return far_offload_api(call)->result(call, args, len);
}

static int fail(far_offload_call *call, const void *args, size_t len) {
  return far_offload_api(call)->fail(call, "told to fail (%zu bytes)", len);
}

static int silent(far_offload_call *call, const void *args, size_t len) { return 0; }

/* args: {cls, id, off, len, write} as five uint64; writes len bytes of 0xAB, or reads len bytes.
 * Result: int64 status of the accessor, then the bytes read (reads that succeeded). */
static int access_object(far_offload_call *call, const void *args, size_t len) {
  const struct farmemd_offload_api *api = far_offload_api(call);
  uint64_t a[5];
  if (len != sizeof a)
    return api->fail(call, "access: expected 40 bytes");
  memcpy(a, args, sizeof a);
  uint8_t *buf = a[3] <= (1u << 20) ? malloc(8 + a[3]) : NULL;
  if (!buf)
    return api->fail(call, "access: at most 1 MiB");
  int64_t rc;
  if (a[4]) {
    memset(buf + 8, 0xAB, a[3]);
    rc = api->write(call, (unsigned)a[0], a[1], a[2], buf + 8, a[3]);
  } else {
    rc = api->read(call, (unsigned)a[0], a[1], a[2], buf + 8, a[3]);
  }
  memcpy(buf, &rc, 8);
  int done = api->result(call, buf, 8 + (rc == 0 && !a[4] ? a[3] : 0));
  free(buf);
  return done;
}
#endif

#ifndef TEST_MODULE_NO_ENTRY
int farmemd_offload_register(const struct farmemd_offload_api *api) {
#ifdef TEST_MODULE_REFUSE
  return api->abi + 41;
#endif
  if (api->abi < 1 || api->max_result < 64)
    return -1;
  return api->add(api, "test.echo", echo) | api->add(api, "test.fail", fail) |
         api->add(api, "test.silent", silent) | api->add(api, "test.access", access_object);
}
#else
int not_the_entry_point(void) { return 0; }
#endif
