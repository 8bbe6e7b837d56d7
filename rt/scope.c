/* Scopes and the evacuation epoch.
 *
 * A thread publishes the global epoch in its own cache line when it enters its outermost scope and
 * clears it on exit (the inline halves are in far/rt.h). The evacuator advances the epoch, runs
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) so every running thread's earlier stores are visible
 * and its later loads see the evacuator's marks, then waits until no thread is still inside a scope
 * it entered under an older epoch: after that, no thread holds a local address of an object marked
 * before the advance. The mutator side needs no fence. Without membarrier (old kernels) the same
 * effect comes from an mprotect() of a touched page, which makes the kernel IPI every CPU running
 * the process. */
#include <linux/membarrier.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "support.h"

#define MAX_THREADS 1024

__thread struct far_thread far_self __attribute__((tls_model("initial-exec")));
volatile uint64_t far_epoch = 2;

static struct far_scope_slot slots[MAX_THREADS];
static atomic_int slot_taken[MAX_THREADS];
static atomic_int slot_high; /* slots below this index may be in use */
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static bool have_membarrier;
static char *ipi_page;

/* Registering for membarrier waits for an RCU grace period: 10-13 ms here, most of the start-up of
 * a small program. Only the evacuator's first epoch advance needs it, so that is when it happens
 * (a program that never evacuates never pays it). */
static void register_membarrier(void) {
  have_membarrier = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
  if (have_membarrier) return;
  ipi_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ipi_page == MAP_FAILED) far_fatal("membarrier unavailable and cannot map a page for the fallback");
}

static void fence_all_threads(void) {
  static pthread_once_t registered = PTHREAD_ONCE_INIT;
  pthread_once(&registered, register_membarrier);
  if (have_membarrier) {
    syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
    return;
  }
  /* Making a touched page read-only shoots down its TLB entries on every CPU running us. */
  ipi_page[0] = 1;
  mprotect(ipi_page, 4096, PROT_READ);
  mprotect(ipi_page, 4096, PROT_READ | PROT_WRITE);
}

static void thread_exit(void *arg) {
  struct far_scope_slot *s = arg;
  far_cache_seal_current();
  __atomic_store_n(&s->epoch, 0, __ATOMIC_RELEASE);
  atomic_store(&slot_taken[s - slots], 0);
}

static void make_key(void) { pthread_key_create(&exit_key, thread_exit); }

struct far_scope_slot *far_thread_attach(void) {
  pthread_once(&key_once, make_key);
  for (int i = 0; i < MAX_THREADS; i++) {
    int expect = 0;
    if (!atomic_compare_exchange_strong(&slot_taken[i], &expect, 1)) continue;
    int high = atomic_load(&slot_high);
    while (high <= i && !atomic_compare_exchange_weak(&slot_high, &high, i + 1)) {}
    far_self.slot = &slots[i];
    pthread_setspecific(exit_key, &slots[i]);
    return &slots[i];
  }
  far_fatal("more than %d threads use far memory at once", MAX_THREADS);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

void far_epoch_sync(void) {
  uint64_t next = (__atomic_add_fetch(&far_epoch, 2, __ATOMIC_SEQ_CST)) & ~1ull;
  fence_all_threads();
  int high = atomic_load(&slot_high);
  for (int i = 0; i < high; i++) {
    uint64_t start = 0;
    unsigned spins = 0, site = 0;
    for (;;) {
      uint64_t e = __atomic_load_n(&slots[i].epoch, __ATOMIC_ACQUIRE);
      if (e == 0 || e >= next) break;
      if (!start) start = now_ns();
      site = __atomic_load_n(&slots[i].site, __ATOMIC_RELAXED);
      far_relax(&spins);
    }
    if (start) far_stats_set_evac_wait_site(site, now_ns() - start);
  }
}

void far_epoch_set_pressure(bool on) {
  if (on) __atomic_fetch_or(&far_epoch, 1, __ATOMIC_SEQ_CST);
  else __atomic_fetch_and(&far_epoch, ~1ull, __ATOMIC_SEQ_CST);
}

/* Outside any scope, so holding no local address: wait for the evacuator to make room, as long as
 * it makes progress. When it handles no region for 10 s (every region pinned by other threads'
 * scopes, say), the thread proceeds and local memory may exceed the budget for a while. */
void far_scope_wait_memory(void) {
  __atomic_store_n(&far_self.slot->epoch, 0, __ATOMIC_RELEASE); /* not in a scope while waiting */
  FAR_STAT_INC(mutator_blocks);
  far_evac_kick();
  const uint64_t patience = 10000000000u;
  unsigned long seen = far_evac_progress();
  uint64_t deadline = now_ns() + patience;
  unsigned spins = 0;
  while (__atomic_load_n(&far_epoch, __ATOMIC_RELAXED) & 1) {
    far_relax(&spins);
    if (far_evac_progress() != seen) {
      seen = far_evac_progress();
      deadline = now_ns() + patience;
    } else if (now_ns() > deadline) {
      break;
    }
  }
}

void far_scope_exit_pending(void) {
  far_straddle_flush();
  far_self.pending = 0;
}
