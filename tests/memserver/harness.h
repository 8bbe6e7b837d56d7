/* Test harness for farmemd: runs the real server binary as a child process and talks to it over
 * loopback TCP with a small synchronous client built on the wire codec. */
#ifndef FARMEMD_TEST_HARNESS_H
#define FARMEMD_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "far/wire_codec.h"

#include <check.h>

/* The farmemd binary: argv[1] (or $FARMEMD) of a test program using farmemd_test_main. */
extern const char *farmemd_path;

/* Runs the suite; returns the process exit status. */
int harness_run_suite(Suite *s);
/* main() of a farmemd test program: takes the binary's path from argv[1], runs the suite. */
int farmemd_test_main(int argc, char **argv, Suite *s);

typedef struct farmemd_proc {
  pid_t pid;
  int port;
  int log_fd; /* the server's stderr: an unlinked temporary file */
} farmemd_proc;

/* Starts farmemd on an ephemeral loopback port with extra flags (NULL-terminated) and waits for its
 * "listening on" line. Aborts the test on failure. */
void farmemd_start(farmemd_proc *p, const char *const *flags);
/* Sends sig and returns the exit status (or 128 + signal), waiting at most 10 s. */
int farmemd_signal_and_wait(farmemd_proc *p, int sig);
/* Number of log lines containing needle. */
int farmemd_log_count(const farmemd_proc *p, const char *needle);
/* Waits up to 5 s for at least n such lines; returns the final count. */
int farmemd_log_wait(const farmemd_proc *p, const char *needle, int n);
long farmemd_rss_kb(const farmemd_proc *p);
/* Runs farmemd with args to completion, capturing stderr into err. Returns the exit status. */
int farmemd_run_to_exit(const char *const *args, char *err, size_t errlen);

typedef struct tclient {
  int fd;
  uint64_t next_rid;
  far_wbuf out;
  far_frame_reader in;
  uint8_t *body; /* copy of the last reply body; rep pointers point into it */
  far_wire_rep rep;
} tclient;

void tc_connect(tclient *c, int port);
void tc_close(tclient *c);
/* "127.0.0.1:PORT: closed" for this client's local port, as it appears in the server log. */
void tc_closed_tag(const tclient *c, char *out, size_t len);
/* Sends whatever is queued in c->out. */
void tc_flush(tclient *c);
/* Sends raw bytes. */
void tc_send_raw(tclient *c, const void *data, size_t len);
/* Receives one reply into c->rep: 0, or -1 when the server closed the connection (5 s timeout
 * fails the test). */
int tc_recv(tclient *c);
/* 1 when the server closes the connection within 5 s without sending anything more. */
int tc_wait_closed(tclient *c);

/* Synchronous ops; each returns the reply status. */
int tc_hello(tclient *c, const char *key16, const char *token);
int tc_write(tclient *c, unsigned cls, uint64_t obj, const void *data, uint32_t len);
/* Reads into buf (the 2^cls object, zero-filled past the stored bytes); *stored gets the stored length. */
int tc_read(tclient *c, unsigned cls, uint64_t obj, void *buf, uint32_t *stored);
int tc_free(tclient *c, unsigned cls, uint64_t obj, uint64_t count);
/* The named counter from STATS. */
uint64_t tc_stat(tclient *c, const char *name);

/* A connected client that has said hello with key. */
void tc_open_session(tclient *c, int port, const char *key16);

#endif
