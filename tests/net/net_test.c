/* Shared set-up of the network client tests (see net_test.h). */
#include "net_test.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *farmemd_path;

void start_server(farmemd_child *c, const char *const *flags) {
  static int started;
  char err[256], log[64];
  snprintf(log, sizeof log, "/tmp/farmemd-nettest-%d-%d.log", (int)getpid(), started++);
  ck_assert_msg(farmemd_child_start(c, farmemd_path, flags, log, err, sizeof err) == 0, "%s", err);
}

int stop_server(farmemd_child *c, int sig) {
  int status = farmemd_child_stop(c, sig);
  unlink(c->log_path);
  return status;
}

far_net *open_client(const char *servers) {
  char err[512];
  far_net_config cfg = {.servers = servers};
  far_net *net = far_net_open(&cfg, err, sizeof err);
  ck_assert_msg(net != NULL, "far_net_open(%s): %s", servers, err);
  return net;
}

void pattern(void *buf, unsigned cls, uint64_t id, unsigned salt) {
  unsigned char *p = buf;
  for (size_t i = 0; i < (1u << cls); i++) p[i] = (unsigned char)(id * 131 + i * 7 + cls + salt * 17 + 1);
}

int log_count(const farmemd_child *c, const char *needle) {
  FILE *f = fopen(c->log_path, "r");
  char line[1024];
  int n = 0;
  while (f && fgets(line, sizeof line, f)) n += strstr(line, needle) != NULL;
  if (f) fclose(f);
  return n;
}

int is_zero(const void *buf, size_t len) {
  const unsigned char *p = buf;
  for (size_t i = 0; i < len; i++)
    if (p[i]) return 0;
  return 1;
}

long long stat_value(const char *text, const char *name, int skip) {
  const char *p = text;
  for (int i = 0; i < skip; i++) {
    p = strstr(p, "server=");
    if (!p) return -1;
    p += 7;
  }
  size_t n = strlen(name);
  for (const char *line = p; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
    if (strncmp(line, name, n) == 0 && line[n] == '=') return atoll(line + n + 1);
  return -1;
}

int run_suite(Suite *s, int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s FARMEMD\n", argv[0]);
    return 2;
  }
  farmemd_path = argv[1];
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
