/* The farmem wire codec (library farwire), shared by the runtime's network client and farmemd.
 * It turns requests and replies into frames (docs/protocol.md) and back, so that both sides agree
 * byte for byte and every check on untrusted input lives in one place.
 *
 * Output: every encoder appends one complete frame (4-byte big-endian length + msgpack body) to a
 * growable far_wbuf; many frames may be queued in one buffer and sent with one write.
 * Input: a far_frame_reader takes bytes as they arrive from a socket and hands back complete frame
 * bodies; far_wire_decode_request / far_wire_decode_reply validate a body completely and return
 * pointers into it for binary payloads (no copy, no allocation). A body that fails validation means
 * the peer is broken or hostile: close the connection.
 * Nothing here keeps global state: use one far_wbuf and one far_frame_reader per connection (or per
 * thread), and the functions are safe to call from any number of threads at once.
 *
 * Typical client use:
 *   far_wbuf out; far_wbuf_init(&out);
 *   far_wire_put_read(&out, rid, cls, obj);          // or begin_readv + add_read... + far_wire_end
 *   send(fd, out.data, out.len); far_wbuf_reset(&out);
 *   far_frame_reader rd; far_frame_reader_init(&rd);
 *   room = ...; p = far_frame_reader_space(&rd, &room); n = recv(fd, p, room); far_frame_reader_commit(&rd, n);
 *   while ((k = far_frame_reader_next(&rd, &body, &len, &why)) == 1)
 *     if (far_wire_decode_reply(body, len, &rep, &why) != 0) -> protocol error, close
 *   if (k < 0) -> protocol error, close
 */
#ifndef FAR_WIRE_CODEC_H
#define FAR_WIRE_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include "far/wire.h"

/* ---------------------------------------------------------------- output buffer */

typedef struct far_wbuf {
  uint8_t *data;
  size_t len; /* bytes of complete frames (plus the open frame while one is being built) */
  size_t cap;
  size_t frame; /* offset of the open frame's length prefix */
  int failed;   /* the open frame ran out of memory; far_wire_end drops it */
} far_wbuf;

void far_wbuf_init(far_wbuf *b);
void far_wbuf_free(far_wbuf *b);
/* Forgets all content, keeps the memory. */
void far_wbuf_reset(far_wbuf *b);
/* Removes the first n bytes (already sent); keeps the rest in order. */
void far_wbuf_consume(far_wbuf *b, size_t n);
/* Releases memory above `keep` bytes of capacity when the buffer is empty (after a large reply). */
void far_wbuf_trim(far_wbuf *b, size_t keep);
/* Appends len raw bytes to the far_wbuf `data` (also msgpack's write callback inside a frame). 0, or
 * -1 when out of memory (the buffer is marked failed). */
int far_wbuf_append(void *data, const char *buf, size_t len);

/* Results of the calls that complete a frame. On failure the partial frame is removed and earlier
 * frames in the buffer stay intact. */
#define FAR_WIRE_ENOMEM (-1)  /* out of memory */
#define FAR_WIRE_ETOOBIG (-2) /* the body would exceed FAR_WIRE_MAX_FRAME: split the batch */

/* Closes the frame opened by a far_wire_begin_* call. Returns 0, FAR_WIRE_ENOMEM or FAR_WIRE_ETOOBIG. */
int far_wire_end(far_wbuf *b);
/* The same for a frame whose body also has `external` bytes that the caller sends itself (the
 * data of elements added with far_wire_add_data_head). */
int far_wire_end_with(far_wbuf *b, size_t external);

/* ---------------------------------------------------------------- requests (client side) */

/* token may be NULL (sent as nil); key is FAR_WIRE_SESSION_KEY_LEN bytes naming the namespace. */
int far_wire_put_hello(far_wbuf *b, uint64_t rid, uint32_t version, const void *token, size_t token_len,
                       const uint8_t *key);
int far_wire_put_read(far_wbuf *b, uint64_t rid, unsigned cls, uint64_t obj);
int far_wire_put_write(far_wbuf *b, uint64_t rid, unsigned cls, uint64_t obj, const void *data, uint32_t len);
int far_wire_put_free(far_wbuf *b, uint64_t rid, unsigned cls, uint64_t obj, uint64_t count);
int far_wire_put_stats(far_wbuf *b, uint64_t rid);
int far_wire_put_bye(far_wbuf *b, uint64_t rid);
int far_wire_put_offload(far_wbuf *b, uint64_t rid, const char *name, const void *args, size_t args_len);
/* Batches: begin with the element count n (1..FAR_WIRE_MAX_BATCH), add exactly n elements, then
 * far_wire_end. A readv's objects may total at most FAR_WIRE_MAX_READV_BYTES (sum of 2^cls). */
void far_wire_begin_readv(far_wbuf *b, uint64_t rid, uint32_t n);
void far_wire_add_read(far_wbuf *b, unsigned cls, uint64_t obj);
void far_wire_begin_writev(far_wbuf *b, uint64_t rid, uint32_t n);
void far_wire_add_write(far_wbuf *b, unsigned cls, uint64_t obj, const void *data, uint32_t len);
/* Only the element up to its data: the caller sends len bytes of data right after the buffer's bytes
 * so far and closes the frame with far_wire_end_with (the client sends write-backs from the
 * objects themselves). */
void far_wire_add_write_head(far_wbuf *b, unsigned cls, uint64_t obj, uint32_t len);

/* ---------------------------------------------------------------- replies (server side) */

/* [op, rid, status]: WRITE, WRITEV, FREE, BYE, and every failed request except HELLO. */
int far_wire_put_status(far_wbuf *b, unsigned op, uint64_t rid, int status);
/* [HELLO, rid, status, FAR_WIRE_VERSION, FAR_WIRE_MAX_FRAME], for success and failure alike. */
int far_wire_put_hello_reply(far_wbuf *b, uint64_t rid, int status);
/* [READ, rid, OK, data] and [OFFLOAD, rid, OK, result]. */
int far_wire_put_data_reply(far_wbuf *b, unsigned op, uint64_t rid, const void *data, uint32_t len);
/* [READV, rid, OK, [data...]]: add exactly n data elements, then far_wire_end. */
void far_wire_begin_readv_reply(far_wbuf *b, uint64_t rid, uint32_t n);
void far_wire_add_data(far_wbuf *b, const void *data, uint32_t len);
/* Only the header of an element of len bytes: the caller sends its data right after the buffer's
 * bytes so far (farmemd sends stored objects with sendmsg instead of copying them), and closes
 * the frame with far_wire_end_with. */
void far_wire_add_data_head(far_wbuf *b, uint32_t len);
/* [STATS, rid, OK, {name: value...}]: add exactly n pairs, then far_wire_end. */
void far_wire_begin_stats_reply(far_wbuf *b, uint64_t rid, uint32_t n);
void far_wire_add_stat(far_wbuf *b, const char *name, uint64_t value);

/* ---------------------------------------------------------------- frame reader */

typedef struct far_frame_reader {
  uint8_t *buf;
  size_t cap;   /* grows with the bytes actually received, never beyond 4 + FAR_WIRE_MAX_FRAME */
  size_t start; /* first byte not yet returned as a frame */
  size_t end;   /* one past the last byte received */
} far_frame_reader;

void far_frame_reader_init(far_frame_reader *r);
void far_frame_reader_free(far_frame_reader *r);
/* Where the next received bytes go: returns a pointer and sets *room (> 0), or NULL when out of
 * memory. Call far_frame_reader_next until it returns 0 before asking for space again. */
uint8_t *far_frame_reader_space(far_frame_reader *r, size_t *room);
/* Records that n bytes were written at the pointer far_frame_reader_space returned. */
void far_frame_reader_commit(far_frame_reader *r, size_t n);
/* Copying convenience for tests and fuzzing: takes as many of the n bytes as fit, returns how many. */
size_t far_frame_reader_feed(far_frame_reader *r, const void *data, size_t n);
/* 1: a complete frame body in *body and *len, valid until the next space/feed call; 0: more bytes are
 * needed; -1: the length prefix is 0 or above FAR_WIRE_MAX_FRAME (*why says which): close. */
int far_frame_reader_next(far_frame_reader *r, const uint8_t **body, uint32_t *len, const char **why);
/* Bytes received but not yet returned as frames (a partial frame when nonzero after next() == 0). */
size_t far_frame_reader_pending(const far_frame_reader *r);
/* For a receiver that takes over a partial frame (the client's direct receive of a large readv
 * reply): the bytes received and not yet returned, and consuming n of them (n <= *avail). */
const uint8_t *far_frame_reader_peek(const far_frame_reader *r, size_t *avail);
void far_frame_reader_skip(far_frame_reader *r, size_t n);
/* The body length a frame's 4-byte big-endian prefix at p announces. */
static inline uint32_t far_wire_frame_length(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---------------------------------------------------------------- decoding */

/* One element of a validated list: READV request {cls, obj}; WRITEV request {cls, obj, data, len};
 * READV reply {data, len}; STATS reply {name, name_len, value}. */
typedef struct far_wire_item {
  unsigned cls;
  uint64_t obj;
  const uint8_t *data;
  uint32_t len;
  const char *name;
  uint32_t name_len;
  uint64_t value;
} far_wire_item;

/* The elements of a validated list, read one at a time with far_wire_list_next. */
typedef struct far_wire_list {
  const uint8_t *pos;
  const uint8_t *end;
  uint32_t left;
  uint8_t kind; /* private */
} far_wire_list;

/* Fills *it with the next element and returns 1, or returns 0 when none is left. */
int far_wire_list_next(far_wire_list *l, far_wire_item *it);

typedef struct far_wire_req {
  unsigned op;
  uint64_t rid;
  uint32_t version;     /* HELLO */
  const uint8_t *token; /* HELLO: NULL when nil */
  uint32_t token_len;
  const uint8_t *key;   /* HELLO: FAR_WIRE_SESSION_KEY_LEN bytes */
  unsigned cls;         /* READ, WRITE, FREE */
  uint64_t obj;
  uint64_t count;       /* FREE: 1.. ids from obj on */
  const uint8_t *data;  /* WRITE data, OFFLOAD args */
  uint32_t len;
  const char *name;     /* OFFLOAD function name (not NUL-terminated) */
  uint32_t name_len;
  far_wire_list items;  /* READV, WRITEV: items.left elements, 1..FAR_WIRE_MAX_BATCH */
  uint64_t bytes;       /* READV: sum of 2^cls; WRITEV: sum of data lengths */
} far_wire_req;

/* Validates a request body completely (op, arity, types, class and id ranges, data lengths, batch
 * size, no trailing bytes). 0 on success; -1 with *why set to a short reason otherwise. */
int far_wire_decode_request(const uint8_t *body, size_t len, far_wire_req *req, const char **why);

typedef struct far_wire_rep {
  unsigned op;
  uint64_t rid;
  int status;
  uint32_t version;    /* HELLO */
  uint32_t max_frame;  /* HELLO */
  const uint8_t *data; /* READ, OFFLOAD with status OK */
  uint32_t len;
  far_wire_list items; /* READV data, STATS pairs, with status OK */
} far_wire_rep;

/* Validates a reply body completely. 0 on success; -1 with *why set otherwise. The client still
 * checks that the reply matches its request (op, and data length <= 2^cls). */
int far_wire_decode_reply(const uint8_t *body, size_t len, far_wire_rep *rep, const char **why);

/* Streaming a large READV reply (the client receives each element's data straight into the
 * object's buffer instead of buffering the whole frame). The same checks as far_wire_decode_reply,
 * piece by piece; the caller also checks that the elements end exactly at the end of the frame.
 * far_wire_readv_head: the start [READV, rid, OK, [n... of a body (avail bytes of it): 1 with *rid,
 * *n and *used (bytes it takes); 0 when more bytes are needed; -1 when the body does not start
 * that way (decode it whole). */
int far_wire_readv_head(const uint8_t *body, size_t avail, uint64_t *rid, uint32_t *n, size_t *used);
/* The header of one element (a msgpack bin): 1 with *len and *used; 0 when more bytes are needed;
 * -1 when it is not object data (a protocol error). */
int far_wire_data_head(const uint8_t *p, size_t avail, uint32_t *len, size_t *used);
/* Header bytes of an element of len bytes, as the encoder writes it. */
size_t far_wire_data_head_size(uint32_t len);

/* Streaming a large WRITEV request (farmemd receives large elements' data straight into object
 * buffers). The same checks as far_wire_decode_request, piece by piece; the caller also checks that
 * each element's data fits in the frame and that the elements end exactly at its end. Both return 1
 * with *used (the bytes the piece takes), 0 when more bytes are needed, or -1 with *why when the
 * bytes cannot start a valid piece. whole: avail holds all that is left of the frame.
 * far_wire_writev_head: the start [WRITEV, rid, [n... of a body, with *rid and *n.
 * far_wire_writev_element: one element up to its data: [cls, obj, and the data's bin header, with
 * it->cls, it->obj and it->len (it->data is not set). */
int far_wire_writev_head(const uint8_t *body, size_t avail, int whole, uint64_t *rid, uint32_t *n,
                         size_t *used, const char **why);
/* The longest of those pieces in bytes: a fixarray, two uint64 and a 32-bit length. */
#define FAR_WIRE_WRITEV_PIECE_MAX (1 + 9 + 9 + 5)
int far_wire_writev_element(const uint8_t *p, size_t avail, int whole, far_wire_item *it, size_t *used,
                            const char **why);

/* Sending a frame as pieces (wire_send.c): one non-blocking sendmsg of the pieces iov[*i..k), at
 * most FAR_WIRE_IOV_MAX of them (Linux's UIO_MAXIOV). Returns what sendmsg returned; the bytes sent
 * are consumed: *i moves past the pieces sent whole and a piece sent in part is trimmed. */
#define FAR_WIRE_IOV_MAX 1024
ssize_t far_wire_send_pieces(int fd, struct iovec *iov, size_t *i, size_t k);

#endif
