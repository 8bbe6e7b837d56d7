/* Start-up of the paging baseline (libfarpaging.so), from a constructor before main:
 *   FARPAGING_LOCAL_MEM  resident budget for the heap arena (as FAR_LOCAL_MEM: 512M, 2G; default 256M)
 *   FARPAGING_ARENA      virtual size of the arena (default 64G; reserved, not committed)
 *   FARPAGING_READAHEAD  pages fetched after a fault that continues a sequential stream (0-64, default 8)
 *   FARPAGING_HANDLERS   fault-handler threads (1-8, default 1; more serve several faulting threads
 *                        at once, but every idle handler is woken by each fault on this kernel)
 *   FARPAGING_SPIN_US    how long an idle handler polls for the next fault before it sleeps
 *                        (0-1000, default 50; a sleeping handler costs a wake-up per fault)
 *   FARPAGING_STATS=1    one line of counters on stderr at exit
 *   FAR_SERVER, FAR_TOKEN_FILE   as for the farmem runtime (FAR_SERVER unset: embedded farmemd)
 * A bad value is one line naming the variable and exit status 2, as for the runtime. So is a kernel
 * without userfaultfd (or without its write-protect mode), which this baseline cannot work without.
 *
 * The arena is one anonymous MAP_NORESERVE mapping registered with userfaultfd in MISSING and WP
 * modes; transparent huge pages are off in it so every fault and eviction is one 4 KiB page. */
#define _GNU_SOURCE
#include "paging.h"
#include "support.h"

#include <ctype.h>
#include <errno.h>
#include <far/net.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEFAULT_ARENA (64ull << 30)
#define MIN_ARENA (16ull << 20)
#define MAX_ARENA (4ull << 40)

struct pager pg = {.lock = PTHREAD_MUTEX_INITIALIZER, .uffd = -1};

static struct {
  size_t local_mem, arena;
  unsigned readahead, handlers;
  int stats;
} cfg;

void pg_fatal(const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  dprintf(2, "farpaging: %s\n", msg);
  _exit(1);
}

static void __attribute__((noreturn)) bad_env(const char *var, const char *value, const char *why) {
  fprintf(stderr, "farpaging: %s=%s: %s\n", var, value, why);
  exit(2);
}

static size_t env_size(const char *var, size_t def, size_t min, size_t max, const char *range) {
  const char *v = getenv(var);
  unsigned long long n;
  if (!v)
    return def;
  if (far_config_parse_size(v, &n))
    bad_env(var, v, "not a size (use e.g. 64M or 2G)");
  if (n < min || n > max)
    bad_env(var, v, range);
  return (size_t)n;
}

static unsigned env_uint(const char *var, unsigned def, unsigned max) {
  const char *v = getenv(var);
  if (!v)
    return def;
  char *end;
  errno = 0;
  unsigned long n = strtoul(v, &end, 10);
  if (!isdigit((unsigned char)*v) || *end || errno || n > max) {
    char why[64];
    snprintf(why, sizeof why, "not a number from 0 to %u", max);
    bad_env(var, v, why);
  }
  return (unsigned)n;
}

static void load_config(struct far_config *far) {
  cfg.local_mem = env_size("FARPAGING_LOCAL_MEM", FAR_CONFIG_DEFAULT_LOCAL_MEM, FAR_CONFIG_MIN_LOCAL_MEM,
                           FAR_CONFIG_MAX_LOCAL_MEM, "out of range (4M to 1T)");
  cfg.arena = env_size("FARPAGING_ARENA", DEFAULT_ARENA, MIN_ARENA, MAX_ARENA, "out of range (16M to 4T)");
  cfg.readahead = env_uint("FARPAGING_READAHEAD", 8, PG_RA_MAX);
  cfg.handlers = env_uint("FARPAGING_HANDLERS", 1, 8);
  pg.spin_ns = (uint64_t)env_uint("FARPAGING_SPIN_US", 50, 1000) * 1000;
  if (cfg.handlers == 0)
    bad_env("FARPAGING_HANDLERS", "0", "at least one handler thread is needed");
  const char *s = getenv("FARPAGING_STATS");
  if (s && strcmp(s, "0") && strcmp(s, "1"))
    bad_env("FARPAGING_STATS", s, "use 0 or 1");
  cfg.stats = s && !strcmp(s, "1");
  far_config_load(far); /* FAR_SERVER, FAR_TOKEN_FILE */
}

/* A userfaultfd with write-protect support: /dev/userfaultfd, else the system call. */
static int open_uffd(void) {
  int fd = -1, dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
  char why[256] = "";
  if (dev >= 0) {
    fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
      snprintf(why, sizeof why, "/dev/userfaultfd: %s", strerror(errno));
    close(dev);
  } else {
    snprintf(why, sizeof why, "/dev/userfaultfd: %s", strerror(errno));
  }
  if (fd < 0 && (fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK)) < 0) {
    fprintf(stderr,
            "farpaging: userfaultfd is unavailable (%s; userfaultfd(2): %s): the paging baseline needs it "
            "(run as root, or set vm.unprivileged_userfaultfd=1)\n",
            why, strerror(errno));
    exit(2);
  }
  struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_PAGEFAULT_FLAG_WP};
  if (ioctl(fd, UFFDIO_API, &api) != 0) {
    fprintf(stderr, "farpaging: userfaultfd has no write-protect mode on this kernel (%s): the paging "
                    "baseline needs it to track dirty pages\n", strerror(errno));
    exit(2);
  }
  return fd;
}

static void map_arena(void) {
  pg.npages = cfg.arena >> PG_SHIFT;
  pg.base = mmap(NULL, pg.npages << PG_SHIFT, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  pg.pages = mmap(NULL, pg.npages * sizeof *pg.pages, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (pg.base == MAP_FAILED || pg.pages == MAP_FAILED)
    pg_fatal("cannot reserve a %zu-byte arena: %s", cfg.arena, strerror(errno));
  madvise(pg.base, pg.npages << PG_SHIFT, MADV_NOHUGEPAGE);
  struct uffdio_register reg = {.range = {.start = (uintptr_t)pg.base, .len = pg.npages << PG_SHIFT},
                                .mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP};
  if (ioctl(pg.uffd, UFFDIO_REGISTER, &reg) != 0)
    pg_fatal("cannot register the arena with userfaultfd: %s", strerror(errno));
  unsigned long long need = (1ull << _UFFDIO_COPY) | (1ull << _UFFDIO_WAKE) | (1ull << _UFFDIO_WRITEPROTECT);
  if ((reg.ioctls & need) != need)
    pg_fatal("userfaultfd lacks UFFDIO_COPY / WAKE / WRITEPROTECT on anonymous memory");
}

static void init_frames(void) {
  pg.nframes = (uint32_t)(cfg.local_mem >> PG_SHIFT);
  pg.frames = malloc(pg.nframes * sizeof *pg.frames);
  pg.free_frames = malloc(pg.nframes * sizeof *pg.free_frames);
  if (!pg.frames || !pg.free_frames)
    pg_fatal("out of memory for %u frames", pg.nframes);
  for (uint32_t f = 0; f < pg.nframes; f++) {
    pg.frames[f] = PG_NO_FRAME;
    pg.free_frames[f] = pg.nframes - 1 - f;
  }
  pg.nfree = pg.nframes;
  /* Reclaim starts below 1/128 of the budget free (at least 2 batches) and stops at twice that:
   * enough headroom that faults rarely wait, little budget left unused. */
  pg.low_wm = pg.nframes / 128 > 2 * PG_BATCH ? pg.nframes / 128 : 2 * PG_BATCH;
  pg.high_wm = 2 * pg.low_wm;
  pg.readahead = cfg.readahead;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&pg.frames_cv, &ca);
  pthread_cond_init(&pg.reclaim_cv, &ca);
  pthread_condattr_destroy(&ca);
}

void pg_start_thread(void *(*fn)(void *), void *arg) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_sigmask(SIG_SETMASK, &all, &old); /* the program's signal handlers never run on our threads */
  pthread_t t;
  int err = pthread_create(&t, &attr, fn, arg);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (err)
    pg_fatal("cannot create a thread: %s", strerror(err));
}

static void connect_server(const struct far_config *far) {
  char servers[sizeof far->servers];
  snprintf(servers, sizeof servers, "%s", far->servers);
  if (!servers[0])
    pg_server_start(servers, sizeof servers);
  far_net_config nc = {.servers = servers, .token = far->token};
  char err[512];
  pg.net = far_net_open(&nc, err, sizeof err);
  if (!pg.net) {
    fprintf(stderr, "farpaging: %s\n", err);
    exit(2);
  }
}

/* For tests and benchmarks (dlsym(RTLD_DEFAULT, "farpaging_counters")): missing-page faults,
 * write-protect faults, pages fetched, pages written back, pages evicted, peak resident pages. */
__attribute__((visibility("default"))) void farpaging_counters(unsigned long out[6]) {
  out[0] = pg.st.faults;
  out[1] = pg.st.wp_faults;
  out[2] = pg.st.fetched;
  out[3] = pg.st.written_back;
  out[4] = pg.st.evicted;
  out[5] = pg.peak_used;
}

static pid_t owner; /* a fork()ed child exiting through exit() prints nothing */

/* Writes the FARPAGING_STATS line (counters so far) to out. Exported for programs that want the
 * counters between phases (dlsym(RTLD_DEFAULT, "farpaging_print_stats"); the dataframe's
 * DF_STEP_STATS=1 prints them after each step). */
__attribute__((visibility("default"))) void farpaging_print_stats(FILE *out) {
  pg_internal++;
  struct pg_stats *s = &pg.st;
  unsigned long faults = s->faults + s->wp_faults;
  fprintf(out,
          "farpaging: faults=%lu wp_faults=%lu pages_fetched=%lu zero_fills=%lu readahead=%lu "
          "written_back=%lu evicted=%lu dropped_clean=%lu zero_dropped=%lu discarded=%lu reclaim_waits=%lu "
          "bytes_in=%lu bytes_out=%lu handler_us_per_fault=%.2f us_per_fetch=%.2f budget_pages=%u peak_pages=%u "
          "fetches=%lu\n",
          (unsigned long)s->faults, (unsigned long)s->wp_faults, (unsigned long)s->fetched,
          (unsigned long)s->zero_fills, (unsigned long)s->readahead, (unsigned long)s->written_back,
          (unsigned long)s->evicted, (unsigned long)s->dropped_clean, (unsigned long)s->zero_dropped,
          (unsigned long)s->discarded,
          (unsigned long)s->reclaim_waits, (unsigned long)s->fetched << PG_SHIFT,
          (unsigned long)s->written_back << PG_SHIFT, faults ? (double)s->fault_ns / 1000.0 / (double)faults : 0.0,
          s->fetches ? (double)s->fetch_ns / 1000.0 / (double)s->fetches : 0.0, pg.nframes, pg.peak_used,
          (unsigned long)s->fetches);
  pg_internal--;
}

static void print_stats(void) {
  if (getpid() == owner)
    farpaging_print_stats(stderr);
}

__attribute__((constructor)) static void farpaging_init(void) {
  pg_internal++;
  owner = getpid();
  struct far_config far;
  load_config(&far);
  pg.uffd = open_uffd();
  connect_server(&far);
  map_arena();
  init_frames();
  pa_init();
  for (unsigned i = 0; i < cfg.handlers; i++)
    pg_start_thread(pg_handler_main, NULL);
  pg_start_thread(pg_reclaim_main, NULL);
  if (cfg.stats)
    atexit(print_stats);
  pg_watch_fork();
  atomic_store_explicit(&pg_ready, 1, memory_order_release);
  pg_internal--;
}
