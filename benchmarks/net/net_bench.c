/* benchmarks/run net: the network client against bare TCP, side by side in one run on 127.0.0.1.
 *   (a) latency: a synchronous 64 B far_net_read through farmemd vs a busy-polled 64 B echo;
 *   (b) throughput: pipelined 4 KiB far_net_readv batches vs a bare stream of 4 KiB messages.
 * Repetitions interleave the four measurements (alternating which side goes first), so machine
 * noise hits both sides alike. Usage: net_bench FARMEMD [REPS] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bare.h"
#include "bench_setup.h"
#include "quantile.h"
#include "far/net.h"
#include "farmemd_child.h"

enum {
  RTT_SAMPLES = 20000, /* per repetition and side */
  RTT_WARMUP = 500,
  RTT_CLASS = 6,       /* 64 B */
  BW_CLASS = 12,       /* 4 KiB */
  BW_OBJECTS = 4096,   /* 16 MiB on the server */
  BW_MESSAGES = 32768, /* 128 MiB per repetition and side */
  BW_BATCH = 32,       /* objects per ticket */
  BW_WINDOW = 8,       /* tickets in flight */
};

static void bare_rtt(uint16_t port, double *out) {
  int fd = bare_echo_connect(port);
  if (fd < 0) bench_die("bare echo", "cannot connect");
  for (int i = 0; i < RTT_WARMUP; i++) bare_echo_once(fd);
  for (int i = 0; i < RTT_SAMPLES; i++)
    if ((out[i] = bare_echo_once(fd)) < 0) bench_die("bare echo", "connection lost");
  close(fd);
}

static void client_rtt(far_net *net, double *out) {
  unsigned char buf[1u << RTT_CLASS];
  for (int i = 0; i < RTT_WARMUP + RTT_SAMPLES; i++) {
    double t0 = bench_now_us();
    int st = far_net_read(net, RTT_CLASS, (uint64_t)i % 64, buf);
    double t = bench_now_us() - t0;
    if (st != FAR_OK || buf[0] != (unsigned char)(i % 64)) bench_die("far_net_read", far_status_name(st));
    if (i >= RTT_WARMUP) out[i - RTT_WARMUP] = t;
  }
}

typedef struct window {
  far_ticket t[BW_WINDOW];
  far_io ios[BW_WINDOW][BW_BATCH];
  unsigned char (*bufs)[1u << BW_CLASS];
} window;

static void submit(far_net *net, window *w, unsigned slot, uint64_t first) {
  for (unsigned j = 0; j < BW_BATCH; j++)
    w->ios[slot][j] = (far_io){.cls = BW_CLASS, .id = (first + j) % BW_OBJECTS, .buf = w->bufs[slot * BW_BATCH + j]};
  if (far_net_readv(net, w->ios[slot], BW_BATCH, &w->t[slot], NULL, NULL) != FAR_OK) bench_die("far_net_readv", "refused");
}

static double client_gbps(far_net *net, window *w) {
  double t0 = bench_now_us();
  uint64_t next = 0;
  for (unsigned s = 0; s < BW_WINDOW; s++, next += BW_BATCH) submit(net, w, s, next);
  for (unsigned s = 0; next < BW_MESSAGES + BW_WINDOW * BW_BATCH; s = (s + 1) % BW_WINDOW, next += BW_BATCH) {
    int st = far_ticket_wait(net, &w->t[s]);
    if (st != FAR_OK) bench_die("far_net_readv", far_status_name(st));
    if (next < BW_MESSAGES) submit(net, w, s, next);
  }
  return (double)BW_MESSAGES * (1u << BW_CLASS) / (bench_now_us() - t0) / 1e3;
}

static void populate(far_net *net) {
  unsigned char buf[1u << BW_CLASS];
  for (uint64_t id = 0; id < 64; id++) {
    memset(buf, (int)id, 1u << RTT_CLASS);
    if (far_net_write(net, RTT_CLASS, id, buf, 1u << RTT_CLASS) != FAR_OK) bench_die("populate", "write failed");
  }
  for (uint64_t id = 0; id < BW_OBJECTS; id++) {
    memset(buf, (int)id, sizeof buf);
    if (far_net_write(net, BW_CLASS, id, buf, sizeof buf) != FAR_OK) bench_die("populate", "write failed");
  }
}

/* The 1-minute load average: the machine is shared, and a busy one skews the spinning side most. */
static double load_average(void) {
  double v = -1;
  FILE *f = fopen("/proc/loadavg", "r");
  if (f && fscanf(f, "%lf", &v) != 1) v = -1;
  if (f) fclose(f);
  return v;
}

int main(int argc, char **argv) {
  double load_before = load_average();
  bench_setup b;
  bench_setup_start(&b, "net_bench", argc, argv);
  int reps = b.reps;
  uint16_t bare_port = b.bare_port;
  char err[512];
  far_net_config cfg = {.servers = b.srv.addr};
  far_net *net = far_net_open(&cfg, err, sizeof err);
  if (!net) bench_die("far_net_open", err);
  populate(net);

  size_t n = (size_t)reps * RTT_SAMPLES;
  double *bare = malloc(n * sizeof *bare), *client = malloc(n * sizeof *client);
  double *bare_bw = malloc(reps * sizeof(double)), *client_bw = malloc(reps * sizeof(double));
  double *bulk_bw = malloc(reps * sizeof(double));
  window *w = calloc(1, sizeof *w);
  w->bufs = malloc((size_t)BW_WINDOW * BW_BATCH * (1u << BW_CLASS));
  for (int r = 0; r < reps; r++) {
    int bare_first = r % 2 == 0;
    if (bare_first) bare_rtt(bare_port, bare + (size_t)r * RTT_SAMPLES);
    client_rtt(net, client + (size_t)r * RTT_SAMPLES);
    if (!bare_first) bare_rtt(bare_port, bare + (size_t)r * RTT_SAMPLES);
    if (bare_first) bare_bw[r] = bare_stream_gbps(bare_port, BW_MESSAGES, 1);
    client_bw[r] = client_gbps(net, w);
    if (!bare_first) bare_bw[r] = bare_stream_gbps(bare_port, BW_MESSAGES, 1);
    bulk_bw[r] = bare_stream_gbps(bare_port, BW_MESSAGES, BARE_STREAM_MAX_PER_SEND);
  }
  far_net_close(net);
  farmemd_child_stop(&b.srv, SIGTERM);

  double bm = quantile(bare, n, 0.5), bp = quantile(bare, n, 0.99);
  double cm = quantile(client, n, 0.5), cp = quantile(client, n, 0.99);
  double bb = quantile(bare_bw, reps, 0.5), cb = quantile(client_bw, reps, 0.5);
  double kb = quantile(bulk_bw, reps, 0.5);
  printf("net benchmark on 127.0.0.1: %d interleaved repetitions, %d round trips and %d MiB per side each\n",
         reps, RTT_SAMPLES, BW_MESSAGES * (1 << BW_CLASS) >> 20);
  printf("load average (1 min) before / after: %.2f / %.2f on %ld CPUs\n", load_before, load_average(),
         sysconf(_SC_NPROCESSORS_ONLN));
  printf("%-44s %10s %10s\n", "latency (64 B, synchronous)", "median us", "p99 us");
  printf("%-44s %10.2f %10.2f\n", "bare TCP echo, busy-polled", bm, bp);
  printf("%-44s %10.2f %10.2f\n", "far_net_read via farmemd", cm, cp);
  printf("%-44s %10s\n", "throughput (4 KiB messages)", "GB/s");
  printf("%-44s %10.2f\n", "bare TCP stream, one message per send", bb);
  printf("%-44s %10.2f\n", "(for reference) 64 messages per send", kb);
  printf("%-44s %10.2f\n", "far_net_readv, pipelined (32 x 4 KiB x 8)", cb);
  printf("net: rtt_ratio=%.2f bw_ratio=%.2f\n", cm / bm, cb / bb);
  return 0;
}
