/* Configuration parsing: every FAR_* variable with good values (the parsed result is checked) and bad
 * ones (exit status 2 and exactly one stderr line naming the variable and the value). Each case runs
 * the probe_config program with that environment. */
#define _GNU_SOURCE
#include "harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const probe[] = {PROBE_CONFIG, NULL};

struct good_case {
  const char *env;      /* NAME=VALUE */
  const char *expected; /* a line probe_config must print */
};

static const struct good_case good[] = {
    {"FAR_STATS", "local_mem=268435456\n"}, /* nothing set: the defaults */
    {"FAR_STATS", "evac_threads=1\n"},
    {"FAR_STATS", "servers=\n"},
    {"FAR_STATS", "token=(none)\n"},
    {"FAR_STATS", "stats=0\n"},
    {"FAR_LOCAL_MEM=64M", "local_mem=67108864\n"},
    {"FAR_LOCAL_MEM=2G", "local_mem=2147483648\n"},
    {"FAR_LOCAL_MEM=4096K", "local_mem=4194304\n"},
    {"FAR_LOCAL_MEM=8388608", "local_mem=8388608\n"},
    {"FAR_LOCAL_MEM=1g", "local_mem=1073741824\n"},
    {"FAR_LOCAL_MEM=64MB", "local_mem=67108864\n"},
    {"FAR_LOCAL_MEM=64MiB", "local_mem=67108864\n"},
    {"FAR_LOCAL_MEM=1T", "local_mem=1099511627776\n"},
    {"FAR_LOCAL_MEM=4M", "local_mem=4194304\n"},
    {"FAR_EVAC_THREADS=4", "evac_threads=4\n"},
    {"FAR_EVAC_THREADS=64", "evac_threads=64\n"},
    {"FAR_SERVER=127.0.0.1:7000", "server 0: 127.0.0.1 port 7000\n"},
    {"FAR_SERVER=a.example:1,b-2:65535", "server 1: b-2 port 65535\n"},
    {"FAR_SERVER=a.example:1,b-2:65535", "servers=a.example:1,b-2:65535\n"},
    {"FAR_SERVER=[::1]:7000", "server 0: ::1 port 7000\n"},
    {"FAR_STATS=0", "stats=0\n"},
    {"FAR_STATS=", "stats=0\n"},
    {"FAR_STATS=1", "stats=1\n"},
    {"FAR_STATS=text", "stats=1\n"},
    {"FAR_STATS=json", "stats=2\n"},
};

START_TEST(test_good_values) {
  const char *env[] = {good[_i].env, NULL};
  struct probe_result r;
  probe_run(probe, env, &r);
  ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0, "%s: status %d, stderr %s",
                good[_i].env, r.status, r.err);
  ck_assert_msg(strstr(r.out, good[_i].expected), "%s: expected '%s' in:\n%s", good[_i].env,
                good[_i].expected, r.out);
  ck_assert_str_eq(r.err, "");
}
END_TEST

struct bad_case {
  const char *env;    /* NAME=VALUE */
  const char *reason; /* part of the message after "NAME=VALUE: " */
};

static const struct bad_case bad[] = {
    {"FAR_LOCAL_MEM=12XB", "not a size (use e.g. 64M or 2G)"},
    {"FAR_LOCAL_MEM=", "not a size"},
    {"FAR_LOCAL_MEM=M", "not a size"},
    {"FAR_LOCAL_MEM=-5M", "not a size"},
    {"FAR_LOCAL_MEM=64 M", "not a size"},
    {"FAR_LOCAL_MEM=64MBB", "not a size"},
    {"FAR_LOCAL_MEM=99999999999999999999", "not a size"},
    {"FAR_LOCAL_MEM=99999999999T", "not a size"},
    {"FAR_LOCAL_MEM=3M", "below the minimum of 4M"},
    {"FAR_LOCAL_MEM=4194303", "below the minimum of 4M"},
    {"FAR_LOCAL_MEM=2T", "above the maximum of 1024G"},
    {"FAR_EVAC_THREADS=0", "not a thread count (use 1 to 64)"},
    {"FAR_EVAC_THREADS=65", "not a thread count"},
    {"FAR_EVAC_THREADS=x", "not a thread count"},
    {"FAR_EVAC_THREADS=", "not a thread count"},
    {"FAR_EVAC_THREADS=2x", "not a thread count"},
    {"FAR_EVAC_THREADS=-1", "not a thread count"},
    {"FAR_EVAC_THREADS=99999999999999999999999", "not a thread count"},
    {"FAR_SERVER=", "empty (unset it to use the embedded memory server)"},
    {"FAR_SERVER=host", "entry 1: missing ':port'"},
    {"FAR_SERVER=:80", "entry 1: missing host before ':'"},
    {"FAR_SERVER=host:0", "entry 1: port must be 1 to 65535"},
    {"FAR_SERVER=host:65536", "entry 1: port must be 1 to 65535"},
    {"FAR_SERVER=host:12ab", "entry 1: port must be 1 to 65535"},
    {"FAR_SERVER=host:", "entry 1: port must be 1 to 65535"},
    {"FAR_SERVER=a:1,,b:2", "entry 2: empty entry"},
    {"FAR_SERVER=a:1,", "entry 2: empty entry"},
    {"FAR_SERVER=a:1,b:x", "entry 2: port must be"},
    {"FAR_SERVER=[::1:7000", "entry 1: an IPv6 address must be written [addr]:port"},
    {"FAR_SERVER=ho st:1", "entry 1: bad character in host name"},
    {"FAR_SERVER=h:1,h:2,h:3,h:4,h:5,h:6,h:7,h:8,h:9,h:10,h:11,h:12,h:13,h:14,h:15,h:16,h:17",
     "more than 16 servers"},
    {"FAR_STATS=yes", "use 0, 1 (or text) or json"},
    {"FAR_STATS=2", "use 0, 1 (or text) or json"},
    {"FAR_GROUP=3", "objects per group: use 1 (off), 2, 4, 8, 16 or 32"},
    {"FAR_GROUP=64", "objects per group: use 1 (off), 2, 4, 8, 16 or 32"},
    {"FAR_GROUP=", "objects per group: use 1 (off), 2, 4, 8, 16 or 32"},
    {"FAR_TOKEN_FILE=/nonexistent/token", "cannot open: No such file or directory"},
    {"FAR_TOKEN_FILE=/", "cannot read: Is a directory"},
};

START_TEST(test_bad_values) {
  const char *env[] = {bad[_i].env, NULL};
  struct probe_result r;
  probe_run(probe, env, &r);
  ck_assert_msg(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2, "%s: status %d", bad[_i].env,
                r.status);
  char prefix[512];
  snprintf(prefix, sizeof prefix, "farmem: %s: ", bad[_i].env);
  ck_assert_msg(!strncmp(r.err, prefix, strlen(prefix)), "%s: stderr is '%s'", bad[_i].env, r.err);
  ck_assert_msg(strstr(r.err, bad[_i].reason), "%s: '%s' not in '%s'", bad[_i].env, bad[_i].reason,
                r.err);
  ck_assert_int_eq(probe_lines(r.err), 1);
  ck_assert_str_eq(r.out, "");
}
END_TEST

START_TEST(test_long_server_list) {
  static char env[1200] = "FAR_SERVER=";
  while (strlen(env) < 1100)
    strcat(env, "h:1,");
  strcat(env, "h:1");
  const char *envs[] = {env, NULL};
  struct probe_result r;
  probe_run(probe, envs, &r);
  ck_assert_int_eq(WEXITSTATUS(r.status), 2);
  ck_assert_msg(strstr(r.err, "longer than 1023 characters"), "%s", r.err);
}
END_TEST

/* Writes content to a fresh file and returns "FAR_TOKEN_FILE=<path>" (static storage). */
static const char *token_file(const char *content, size_t len) {
  static char env[256];
  char path[] = "/tmp/far-token-XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
  close(fd);
  snprintf(env, sizeof env, "FAR_TOKEN_FILE=%s", path);
  return env;
}

static void run_token(const char *content, size_t len, struct probe_result *r) {
  const char *env[] = {token_file(content, len), NULL};
  probe_run(probe, env, r);
  unlink(strchr(env[0], '=') + 1);
}

START_TEST(test_token_file) {
  struct probe_result r;
  run_token("s3cret token\n\n", 14, &r);
  ck_assert_int_eq(r.status, 0);
  ck_assert_msg(strstr(r.out, "token=s3cret token\n"), "%s", r.out);
}
END_TEST

START_TEST(test_token_file_bad) {
  struct probe_result r;
  run_token("\r\n\n", 3, &r);
  ck_assert_int_eq(WEXITSTATUS(r.status), 2);
  ck_assert_msg(strstr(r.err, "the file is empty"), "%s", r.err);

  static char big[5000];
  memset(big, 'x', sizeof big);
  run_token(big, sizeof big, &r);
  ck_assert_int_eq(WEXITSTATUS(r.status), 2);
  ck_assert_msg(strstr(r.err, "token longer than 4096 bytes"), "%s", r.err);

  run_token("ab\0cd", 5, &r);
  ck_assert_int_eq(WEXITSTATUS(r.status), 2);
  ck_assert_msg(strstr(r.err, "contains a NUL byte"), "%s", r.err);
}
END_TEST

int main(void) {
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("env");
  tcase_set_timeout(tc, 120);
  tcase_add_loop_test(tc, test_good_values, 0, sizeof good / sizeof *good);
  tcase_add_loop_test(tc, test_bad_values, 0, sizeof bad / sizeof *bad);
  tcase_add_test(tc, test_long_server_list);
  tcase_add_test(tc, test_token_file);
  tcase_add_test(tc, test_token_file_bad);
  suite_add_tcase(s, tc);
  return harness_run_suite(s);
}
