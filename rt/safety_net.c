/* The safety net: a SIGSEGV/SIGBUS handler that recognises a far address in the faulting access.
 * Code that dereferences a far pointer without a barrier (not compiled with farcc, or the pointer
 * escaped the plugin's view) faults at once because far addresses are non-canonical; this turns that
 * fault into a clear report with a backtrace. Any other fault is handed back untouched: the previous
 * handler (or the default action, with its core dump and exit status) sees it exactly as it would
 * have without us. Everything in the handler is async-signal-safe. */
#define _GNU_SOURCE
#include "fault_decode.h"
#include "report.h"
#include "support.h"

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#define FAR_TAG 0xFAu /* bits 63..56 of every far address (far/rt.h) */
#define ALT_STACK_SIZE (64u << 10)

static struct sigaction previous_segv, previous_bus;

/* The far address the faulting access used, if any. A far address is non-canonical, so the CPU
 * raises #GP (SIGSEGV, SI_KERNEL) or #SS (SIGBUS) and the kernel reports si_addr = 0; then the
 * instruction is decoded, and if that fails a general register holding a tagged value is taken. */
static int fault_far_address(int sig, const siginfo_t *si, const ucontext_t *uc, uint64_t *addr) {
  uint64_t a = (uint64_t)(uintptr_t)si->si_addr;
  if (a >> 56 == FAR_TAG) {
    *addr = a;
    return 1;
  }
  int gp_fault = a == 0 && ((sig == SIGSEGV && si->si_code == SI_KERNEL) || sig == SIGBUS);
  if (!gp_fault)
    return 0;
  if (far_fault_operand(uc, &a)) {
    *addr = a;
    return a >> 56 == FAR_TAG;
  }
  return far_fault_tagged_register(uc, FAR_TAG, addr);
}

static void safety_net_handler(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  uint64_t addr;
  if (fault_far_address(sig, si, uc, &addr)) {
    static int reporting;
    if (__atomic_exchange_n(&reporting, 1, __ATOMIC_ACQ_REL)) /* another thread reports: wait */
      for (;;)
        pause();
    far_report_str("farmem: far pointer dereferenced without a barrier: address ");
    far_report_hex(addr);
    far_report_str("\nfarmem: this code accessed far memory directly; compile it with farcc "
                   "(see \"Safety net\" in toolchain.md)\n");
    far_report_backtrace(uc);
    _exit(1);
  }
  /* Not ours: put the previous disposition back. A genuine fault re-executes the instruction on
   * return and faults again into it; a signal sent with kill() is sent again and stays pending
   * (blocked while we run) until we return. */
  sigaction(sig, sig == SIGSEGV ? &previous_segv : &previous_bus, NULL);
  if (si->si_code <= 0)
    raise(sig);
}

/* The handler runs on an alternate stack so a stack overflow in the main thread still gets the
 * previous handler's or the default treatment rather than a double fault. An existing one is kept. */
static void install_alt_stack(void) {
  stack_t old;
  if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE))
    return;
  void *mem = mmap(NULL, ALT_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED)
    return;
  stack_t st = {.ss_sp = mem, .ss_size = ALT_STACK_SIZE, .ss_flags = 0};
  sigaltstack(&st, NULL);
}

static void install_once(void) {
  install_alt_stack();
  struct sigaction sa = {.sa_sigaction = safety_net_handler, .sa_flags = SA_SIGINFO | SA_ONSTACK};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &previous_segv);
  sigaction(SIGBUS, &sa, &previous_bus);
}

void far_safety_net_install(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, install_once);
}
