/* Shared set-up of the network client tests: the farmemd binary from argv[1], servers started with
 * farmemd_child and clients opened on them, failing the check test on any set-up error. */
#ifndef NET_TEST_H
#define NET_TEST_H

#include <check.h>
#include "far/net.h"
#include "farmemd_child.h"

extern const char *farmemd_path;

/* Starts farmemd with extra flags (NULL-terminated, may be NULL); its log goes to a temp file. */
void start_server(farmemd_child *c, const char *const *flags);
/* Stops it (farmemd_child_stop) and removes its log. */
int stop_server(farmemd_child *c, int sig);
/* Lines of the server's log that contain needle. */
int log_count(const farmemd_child *c, const char *needle);
/* Opens a client on servers ("host:port[,...]"), failing the test with the client's message. */
far_net *open_client(const char *servers);
/* Fills buf (2^cls bytes) with a pattern derived from (cls, id, salt). */
void pattern(void *buf, unsigned cls, uint64_t id, unsigned salt);
int is_zero(const void *buf, size_t len);
/* The value of "name=" in stats text (the first after skip "server=" lines), or -1. */
long long stat_value(const char *text, const char *name, int skip);
/* Runs the suite with CK_FORK and returns the process exit status. */
int run_suite(Suite *s, int argc, char **argv);

#endif
