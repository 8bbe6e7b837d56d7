/* benchmarks/run farmemd: the memory server's own share of a miss, without the runtime's client.
 * A synchronous 64 B READ sent by a minimal busy-polling client built on the wire codec, against
 * the bare busy-polled 64 B TCP echo of benchmarks/net (bare.c), interleaved in one run. If
 * net_bench's far_net_read is slower than this, the difference is on the client side.
 * Prints a table and ends with "farmemd: rtt_ratio=<x>" (median farmemd read / median bare echo). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "bare.h"
#include "bench_setup.h"
#include "quantile.h"
#include "far/wire_codec.h"
#include "farmemd_child.h"

enum { SAMPLES = 20000, WARMUP = 2000, CLS = 6, OBJ = 5 };

typedef struct client {
  int fd;
  far_wbuf out;
  far_frame_reader in;
} client;

/* Sends what is queued, then busy-polls until one reply arrives. */
static void round_trip(client *c, far_wire_rep *rep) {
  const uint8_t *body;
  uint32_t len;
  const char *why = "";
  if (send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL) != (ssize_t)c->out.len) bench_die("send", strerror(errno));
  far_wbuf_reset(&c->out);
  int k;
  while ((k = far_frame_reader_next(&c->in, &body, &len, &why)) == 0) {
    size_t room;
    uint8_t *p = far_frame_reader_space(&c->in, &room);
    ssize_t n = p ? recv(c->fd, p, room, MSG_DONTWAIT) : -1;
    if (n > 0) far_frame_reader_commit(&c->in, (size_t)n);
    else if (n == 0 || (errno != EAGAIN && errno != EINTR)) bench_die("recv", "connection lost");
  }
  if (k < 0 || far_wire_decode_reply(body, len, rep, &why) != 0) bench_die("reply", why);
}

/* Connects to farmemd, says hello and stores the object the reads fetch. */
static void open_client(client *c, int port) {
  static const uint8_t key[FAR_WIRE_SESSION_KEY_LEN] = "farmemd-bench...";
  uint8_t data[1u << CLS];
  far_wire_rep rep;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int one = 1;
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) bench_die("connect", strerror(errno));
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  far_wbuf_init(&c->out);
  far_frame_reader_init(&c->in);
  far_wire_put_hello(&c->out, 1, FAR_WIRE_VERSION, NULL, 0, key);
  round_trip(c, &rep);
  if (rep.status != FAR_OK) bench_die("hello", far_status_name(rep.status));
  memset(data, 0x42, sizeof data);
  far_wire_put_write(&c->out, 2, CLS, OBJ, data, sizeof data);
  round_trip(c, &rep);
  if (rep.status != FAR_OK) bench_die("write", far_status_name(rep.status));
}

static void farmemd_rtt(client *c, double *out) {
  far_wire_rep rep;
  for (int i = 0; i < WARMUP + SAMPLES; i++) {
    double t0 = bench_now_us();
    far_wire_put_read(&c->out, 100 + (uint64_t)i, CLS, OBJ);
    round_trip(c, &rep);
    double t = bench_now_us() - t0;
    if (rep.status != FAR_OK || rep.len != 1u << CLS || rep.data[0] != 0x42) bench_die("read", "wrong reply");
    if (i >= WARMUP) out[i - WARMUP] = t;
  }
}

static void bare_rtt(uint16_t port, double *out) {
  int fd = bare_echo_connect(port);
  if (fd < 0) bench_die("bare echo", "cannot connect");
  for (int i = 0; i < WARMUP + SAMPLES; i++) {
    double t = bare_echo_once(fd);
    if (t < 0) bench_die("bare echo", "connection lost");
    if (i >= WARMUP) out[i - WARMUP] = t;
  }
  close(fd);
}

int main(int argc, char **argv) {
  bench_setup b;
  bench_setup_start(&b, "farmemd_bench", argc, argv);
  int reps = b.reps;
  uint16_t bare_port = b.bare_port;
  client c;
  open_client(&c, b.srv.port);
  size_t n = (size_t)reps * SAMPLES;
  double *bare = malloc(n * sizeof *bare), *far = malloc(n * sizeof *far);
  for (int r = 0; r < reps; r++) { /* alternate which goes first */
    if (r % 2 == 0) bare_rtt(bare_port, bare + (size_t)r * SAMPLES);
    farmemd_rtt(&c, far + (size_t)r * SAMPLES);
    if (r % 2 == 1) bare_rtt(bare_port, bare + (size_t)r * SAMPLES);
  }
  close(c.fd);
  farmemd_child_stop(&b.srv, SIGTERM);
  double bm = quantile(bare, n, 0.5), bp = quantile(bare, n, 0.99);
  double fm = quantile(far, n, 0.5), fp = quantile(far, n, 0.99);
  printf("farmemd benchmark on 127.0.0.1: %d interleaved repetitions of %d round trips per side\n", reps, SAMPLES);
  printf("%-44s %10s %10s\n", "latency (64 B, synchronous)", "median us", "p99 us");
  printf("%-44s %10.2f %10.2f\n", "bare TCP echo, busy-polled", bm, bp);
  printf("%-44s %10.2f %10.2f\n", "READ via farmemd, raw busy-polled client", fm, fp);
  printf("farmemd: rtt_ratio=%.2f\n", fm / bm);
  return 0;
}
