/* Sending a frame made of pieces: its encoded bytes with object data spliced in where it lies. Both
 * ends send bulk object data this way (the client's write-backs, farmemd's batched read replies),
 * so each byte is copied once, by the kernel; this is the sendmsg loop they share. */
#include <sys/socket.h>
#include "far/wire_codec.h"

/* Moves past n bytes of the pieces iov[*i..k), trimming a piece sent in part (and passing empty
 * pieces). */
static void advance(struct iovec *iov, size_t *i, size_t k, size_t n) {
  while (*i < k && n >= iov[*i].iov_len) n -= iov[(*i)++].iov_len;
  if (*i < k) {
    iov[*i].iov_base = (char *)iov[*i].iov_base + n;
    iov[*i].iov_len -= n;
  }
}

ssize_t far_wire_send_pieces(int fd, struct iovec *iov, size_t *i, size_t k) {
  size_t m = k - *i < FAR_WIRE_IOV_MAX ? k - *i : FAR_WIRE_IOV_MAX;
  struct msghdr mh = {.msg_iov = iov + *i, .msg_iovlen = m};
  ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n >= 0) advance(iov, i, k, (size_t)n);
  return n;
}
