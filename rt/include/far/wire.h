/* The farmem wire protocol, shared by the runtime's network client and farmemd.
 *
 * A frame is a 4-byte big-endian body length followed by one msgpack array:
 *   request  [op, request_id, args...]
 *   reply    [op, request_id, status, results...]
 * Requests are pipelined; replies carry the request id and may come in any order.
 * docs/protocol.md is the full specification; this header is its single source of constants. */
#ifndef FAR_WIRE_H
#define FAR_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define FAR_WIRE_VERSION 1u

/* Largest frame body either side accepts; anything larger closes the connection. */
#define FAR_WIRE_MAX_FRAME (32u << 20)
/* Most elements in one readv/writev request. */
#define FAR_WIRE_MAX_BATCH 4096u
/* Most object bytes (sum of 2^cls) one readv may ask for, so that its reply fits in a frame. */
#define FAR_WIRE_MAX_READV_BYTES (FAR_WIRE_MAX_FRAME - (1u << 20))
/* Size classes on the wire: an object of class c holds 2^c bytes. */
#define FAR_WIRE_CLASS_MIN 4u  /* 16 B */
#define FAR_WIRE_CLASS_MAX 20u /* 1 MiB */
/* Object ids of class c are below 2^(FAR_WIRE_OFFSET_BITS - c): the far address keeps
 * (id << c) in FAR_WIRE_OFFSET_BITS bits. */
#define FAR_WIRE_OFFSET_BITS 51u
/* A session key names a client's namespace; connections that present the same key share it. */
#define FAR_WIRE_SESSION_KEY_LEN 16u
#define FAR_WIRE_MAX_TOKEN 4096u
/* Longest offload function name. */
#define FAR_WIRE_MAX_NAME 255u

enum far_op {
  FAR_OP_HELLO = 1,   /* [1, id, version, token: bin|str|nil, session: bin(16)] -> [.., status, version, max_frame] */
  FAR_OP_READ = 2,    /* [2, id, cls, obj]                  -> [.., status, data: bin] */
  FAR_OP_READV = 3,   /* [3, id, [[cls, obj], ...]]         -> [.., status, [data: bin, ...]] */
  FAR_OP_WRITE = 4,   /* [4, id, cls, obj, data: bin]       -> [.., status] */
  FAR_OP_WRITEV = 5,  /* [5, id, [[cls, obj, data], ...]]   -> [.., status] */
  FAR_OP_FREE = 6,    /* [6, id, cls, obj, count]           -> [.., status] */
  FAR_OP_STATS = 7,   /* [7, id]                            -> [.., status, {name: uint, ...}] */
  FAR_OP_OFFLOAD = 8, /* [8, id, name: str, args: bin]      -> [.., status, result: bin] */
  FAR_OP_BYE = 9,     /* [9, id]                            -> [.., status], then the server closes */
};

/* Reply statuses. Malformed or out-of-range requests get no status: the server closes the connection. */
enum far_status {
  FAR_OK = 0,
  FAR_ENOSPC = 1,    /* the server's capacity would be exceeded; nothing of the request was applied */
  FAR_EAUTH = 2,     /* wrong or missing token */
  FAR_EVERSION = 3,  /* protocol version not supported */
  FAR_ENOENT = 4,    /* offload function not found */
  FAR_EOFFLOAD = 5,  /* the offload function reported an error */
  FAR_ESTATE = 6,    /* request not allowed now (e.g. before hello) */
  /* Client-side statuses, never on the wire. */
  FAR_ENET = 100,    /* connection refused, lost or closed by the server */
  FAR_EPROTO = 101,  /* the server sent something malformed */
  FAR_EINVAL = 102,  /* the caller's request is out of range (class, id, length); nothing was sent */
};

const char *far_status_name(int status);

#endif
