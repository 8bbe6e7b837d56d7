/* How long a synchronous request's waiter spins before it sleeps. Spinning wins when the server has
 * a CPU of its own: the reply comes in a few microseconds and a wake-up would cost ~45 us. It loses
 * badly when the server's thread has to share the waiter's CPU (other processes hold the other
 * ones): then the reply only comes once the waiter gives the CPU up, and every request costs the
 * whole spin. So the client watches: after FAILS_TO_STOP synchronous waits in a row that outlast
 * the spin it stops spinning, and every PROBE_EVERY-th request spins fully again to see whether
 * spinning pays once more. Batches use the current budget but teach nothing (they are long). */
#include "net_internal.h"

#define FAILS_TO_STOP 3
#define PROBE_EVERY 64u

uint64_t net_spin_budget_ns(far_net *net, int *probe) {
  *probe = 0;
  if (!atomic_load_explicit(&net->spin_off, memory_order_relaxed)) return net->spin_us * 1000ull;
  *probe = atomic_fetch_add_explicit(&net->spin_waits, 1, memory_order_relaxed) % PROBE_EVERY == 0;
  return *probe ? net->spin_us * 1000ull : 0;
}

void net_spin_outcome(far_net *net, int probe, int caught) {
  if (caught) {
    atomic_store_explicit(&net->spin_fails, 0, memory_order_relaxed);
    if (probe) atomic_store_explicit(&net->spin_off, 0, memory_order_relaxed);
  } else if (!atomic_load_explicit(&net->spin_off, memory_order_relaxed) &&
             atomic_fetch_add_explicit(&net->spin_fails, 1, memory_order_relaxed) + 1 >= FAILS_TO_STOP) {
    atomic_store_explicit(&net->spin_off, 1, memory_order_relaxed);
    atomic_store_explicit(&net->spin_fails, 0, memory_order_relaxed);
  }
}
