/* Starting farmemd without the program noticing.
 *
 * A child the program forks and execs is an ordinary child: it sends SIGCHLD and wait() or
 * waitpid(-1) in the program can reap it (the kernel turns even a clone() child with exit signal 0
 * into one at exec). So farmemd is started by a warden: a process created with clone(CLONE_VM) and
 * exit signal 0, which therefore never execs, shares our memory (no copy of the program's pages),
 * runs on a small stack of its own, forks farmemd, waits for it and exits. The warden is invisible
 * to wait() and sends no signal; farmemd is the warden's child, not the program's.
 *
 * Both processes set PR_SET_PDEATHSIG to SIGKILL, so if the program dies in any way farmemd dies
 * with it. The warden shares the creating thread's TLS and memory: it and the forked child use only
 * raw system calls (no errno, no libc, no sanitizer instrumentation) until exec. */
#define _GNU_SOURCE
#include "embedded.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define WARDEN_STACK (64u << 10)
#define RAW __attribute__((disable_sanitizer_instrumentation))

extern char **environ;

static inline __attribute__((always_inline)) long raw_syscall(long n, long a, long b, long c,
                                                                long d) {
  long ret;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                   : "rcx", "r11", "memory");
  return ret;
}

/* The kernel's struct sigaction for rt_sigaction. */
struct kernel_sigaction {
  void *handler;
  unsigned long flags;
  void *restorer;
  uint64_t mask;
};

static RAW __attribute__((noreturn)) void farmemd_exec(struct far_spawn *sp, long warden) {
  raw_syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0);
  if (raw_syscall(SYS_getppid, 0, 0, 0, 0) != warden)
    raw_syscall(SYS_exit_group, 127, 0, 0, 0);
  raw_syscall(SYS_setpgid, 0, 0, 0, 0);
  /* The pipe may have got descriptor 0 or 1 if the program runs with those closed: move it out of
   * the way before placing stdin and stdout. */
  long out = raw_syscall(SYS_fcntl, sp->stdout_fd, F_DUPFD, 3, 0);
  long null = raw_syscall(SYS_open, (long)"/dev/null", O_RDONLY, 0, 0);
  raw_syscall(SYS_dup2, null, 0, 0, 0);
  raw_syscall(SYS_dup2, out, 1, 0, 0);
  raw_syscall(SYS_close_range, 3, ~0u, 0, 0);
  struct kernel_sigaction act = {0};
  for (long sig = 1; sig <= 64; sig++) {
    act.handler = sig == SIGPIPE ? SIG_IGN : SIG_DFL;
    raw_syscall(SYS_rt_sigaction, sig, (long)&act, 0, 8);
  }
  uint64_t none = 0;
  raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, 8);
  raw_syscall(SYS_execve, (long)sp->path, (long)sp->argv, (long)environ, 0);
  raw_syscall(SYS_exit_group, 127, 0, 0, 0);
  __builtin_unreachable();
}

static RAW __attribute__((noreturn, used)) void warden_main(struct far_spawn *sp) {
  raw_syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0);
  if (raw_syscall(SYS_getppid, 0, 0, 0, 0) != sp->parent)
    raw_syscall(SYS_exit, 1, 0, 0, 0);
  long self = raw_syscall(SYS_getpid, 0, 0, 0, 0);
  long pid = raw_syscall(SYS_clone, SIGCHLD, 0, 0, 0); /* fork */
  if (pid == 0)
    farmemd_exec(sp, self);
  int report = (int)pid;
  raw_syscall(SYS_write, sp->report_fd, (long)&report, sizeof report, 0);
  /* Hold none of the program's descriptors (a pipe end kept open here would hide its EOF). */
  raw_syscall(SYS_close_range, 0, ~0u, 0, 0);
  if (pid < 0)
    raw_syscall(SYS_exit, 1, 0, 0, 0);
  int status = 0;
  while (raw_syscall(SYS_wait4, pid, (long)&status, 0, 0) == -EINTR)
    ;
  __atomic_store_n(&sp->server_status, status, __ATOMIC_RELEASE);
  raw_syscall(SYS_exit, 0, 0, 0, 0);
  __builtin_unreachable();
}

/* clone(CLONE_VM) with exit signal 0; the child starts on stack_top and calls warden_main(sp).
 * Done by hand rather than with glibc's clone() because sanitizer runtimes intercept that one and
 * treat it as a fork of the whole program. The kernel keeps every register but rax, rcx and r11
 * across the system call, so the child finds fn and sp where the parent put them. */
static RAW long clone_warden(void *stack_top, struct far_spawn *sp) {
  long ret;
  register long r10 __asm__("r10") = 0; /* child_tid */
  register long r8 __asm__("r8") = 0;   /* tls */
  void (*fn)(struct far_spawn *) = warden_main;
  __asm__ volatile("syscall\n\t"
                   "test %%rax, %%rax\n\t"
                   "jnz 1f\n\t"
                   "xor %%ebp, %%ebp\n\t"
                   "mov %[sp], %%rdi\n\t"
                   "call *%[fn]\n\t"
                   "ud2\n"
                   "1:"
                   : "=a"(ret)
                   : "a"((long)SYS_clone), "D"((long)CLONE_VM), "S"(stack_top), "d"(0L), "r"(r10),
                     "r"(r8), [sp] "r"(sp), [fn] "r"(fn)
                   : "rcx", "r11", "memory");
  return ret;
}

pid_t far_spawn_warden(struct far_spawn *sp) {
  /* The warden lives as long as the process, so its stack is never unmapped. */
  static void *stack;
  if (!stack) {
    stack = mmap(NULL, WARDEN_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED) {
      stack = NULL;
      return -errno;
    }
  }
  long pid = clone_warden((char *)stack + WARDEN_STACK, sp);
  return (pid_t)pid;
}
