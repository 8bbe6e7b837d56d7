/* Test probe for the safety net: installs it, then faults in the way argv[1] names. A far-address
 * fault must be reported with a backtrace and exit 1; every other fault must keep its usual outcome. */
#define _GNU_SOURCE
#include "support.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#define FAR_BASE (0xFAull << 56 | 0x1000)

/* Keeps the compiler from seeing through the addresses. */
static void *opaque(uintptr_t a) {
  __asm__ volatile("" : "+r"(a));
  return (void *)a;
}

__attribute__((noinline)) int deref_far_address(volatile int *p) { return *p; }
__attribute__((noinline)) void store_far_indexed(volatile long *p, long i) { p[i + 2] = 7; }
__attribute__((noinline)) void copy_from_far(char *dst, const char *src) { memcpy(dst, src, 4096); }
__attribute__((noinline)) void far_rep_movsb(void *dst, const void *src) {
  size_t n = 64;
  __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}
__attribute__((noinline)) void fatal_caller(int v) { far_fatal("boom %d", v); }
__attribute__((noinline)) int deref_plain(volatile int *p) { return *p; }

static void *far_in_thread(void *arg) {
  deref_far_address(opaque(FAR_BASE));
  return arg;
}

/* A SIGBUS: touching a file mapping beyond the end of the file. */
static void bus_error(void) {
  char path[] = "/tmp/far-bus-XXXXXX";
  int fd = mkstemp(path);
  unlink(path);
  volatile char *m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  (void)m[0];
}

static void own_handler(int sig) {
  write(2, "own handler\n", 12);
  _exit(42);
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  struct rlimit no_core = {0, 0}; /* the default action still runs; just no core file in tests */
  setrlimit(RLIMIT_CORE, &no_core);
  if (!strcmp(mode, "previous"))
    signal(SIGSEGV, own_handler);
  far_safety_net_install();
  static char buf[8192];
  if (!strcmp(mode, "far"))
    return deref_far_address(opaque(FAR_BASE));
  if (!strcmp(mode, "far_indexed"))
    store_far_indexed(opaque(FAR_BASE), 3);
  if (!strcmp(mode, "far_memcpy"))
    copy_from_far(buf, opaque(FAR_BASE));
  if (!strcmp(mode, "far_string"))
    far_rep_movsb(buf, opaque(FAR_BASE));
  if (!strcmp(mode, "far_thread")) {
    pthread_t t;
    pthread_create(&t, NULL, far_in_thread, NULL);
    pthread_join(t, NULL);
  }
  if (!strcmp(mode, "fatal"))
    fatal_caller(42);
  if (!strcmp(mode, "null") || !strcmp(mode, "previous"))
    return deref_plain(opaque(0));
  if (!strcmp(mode, "noncanonical"))
    return deref_plain(opaque(0x8000000000001000ull));
  if (!strcmp(mode, "kill"))
    raise(SIGSEGV);
  if (!strcmp(mode, "bus"))
    bus_error();
  puts("no fault");
  return 0;
}
