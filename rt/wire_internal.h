/* Internals shared by the wire codec's files: frame opening on top of msgpack-c's packer, and the
 * strict msgpack reader used for untrusted input. Not installed. */
#ifndef FAR_WIRE_INTERNAL_H
#define FAR_WIRE_INTERNAL_H

#include <msgpack.h>
#include <string.h>
#include <stdint.h>
#include "far/wire_codec.h"

/* Starts a frame at the end of b and points pk at it; close it with far_wire_end. */
void far_wire_open(far_wbuf *b, msgpack_packer *pk);

/* A cursor over untrusted msgpack bytes. Every reader checks the type and that the value lies
 * entirely inside the input; on failure it returns -1 and leaves the cursor where it was.
 * msgpack-c's own unpacker is not used for input because it allocates memory in proportion to
 * array and map counts claimed by the peer before it has seen the elements. */
typedef struct far_mp {
  const uint8_t *p;
  const uint8_t *end;
} far_mp;

int far_mp_array(far_mp *m, uint32_t *n);
int far_mp_map(far_mp *m, uint32_t *n);
/* A non-negative integer in any msgpack integer encoding. */
int far_mp_uint(far_mp *m, uint64_t *v);
int far_mp_bin(far_mp *m, const uint8_t **data, uint32_t *len);
/* Only a bin's header: its body (*len bytes after it) may lie beyond the input. */
int far_mp_bin_head(far_mp *m, uint32_t *len);
int far_mp_str(far_mp *m, const uint8_t **data, uint32_t *len);
/* 1 and consumed when the next value is nil, else 0. */
int far_mp_nil(far_mp *m);

/* The kinds of far_wire_list. */
enum { FAR_LIST_READV_REQ = 1, FAR_LIST_WRITEV_REQ, FAR_LIST_DATA, FAR_LIST_STATS };

#endif
