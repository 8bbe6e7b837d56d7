/* Fatal-error reporting: far_fatal, and the backtrace printer the safety net shares. Everything that
 * may run inside a signal handler writes with write(2) and walks the stack with libunwind's local
 * unwinder, which is safe to use there. */
#define UNW_LOCAL_ONLY
#include "report.h"
#include "support.h"

#include <libunwind.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define REPORT_MAX_FRAMES 64

void far_report_str(const char *s) {
  size_t len = strlen(s);
  while (len > 0) {
    ssize_t n = write(STDERR_FILENO, s, len);
    if (n <= 0)
      return;
    s += n;
    len -= (size_t)n;
  }
}

/* v in base 10 or 16, at least min_digits digits, after prefix. */
static void report_number(const char *prefix, uint64_t v, unsigned base, int min_digits) {
  char buf[24];
  char *p = buf + sizeof buf - 1;
  *p = '\0';
  do {
    *--p = "0123456789abcdef"[v % base];
    v /= base;
    min_digits--;
  } while (v || min_digits > 0);
  far_report_str(prefix);
  far_report_str(p);
}

void far_report_hex(uint64_t v) { report_number("0x", v, 16, 16); }

static void report_frame(unsigned i, unw_cursor_t *cursor) {
  unw_word_t ip = 0, off = 0;
  char name[256];
  unw_get_reg(cursor, UNW_REG_IP, &ip);
  report_number("  #", i, 10, 1);
  far_report_str(" ");
  far_report_hex(ip);
  if (unw_get_proc_name(cursor, name, sizeof name, &off) == 0) {
    far_report_str(" in ");
    far_report_str(name);
    report_number("+0x", off, 16, 1);
  } else {
    far_report_str(" in ??");
  }
  far_report_str("\n");
}

void far_report_backtrace(ucontext_t *uc) {
  unw_context_t here;
  unw_cursor_t cursor;
  int ok = uc ? unw_init_local2(&cursor, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME)
              : (unw_getcontext(&here), unw_init_local(&cursor, &here));
  far_report_str("farmem: backtrace:\n");
  if (ok != 0) {
    far_report_str("  (unavailable)\n");
    return;
  }
  if (!uc && unw_step(&cursor) <= 0) /* skip this function's own frame */
    return;
  for (unsigned i = 0; i < REPORT_MAX_FRAMES; i++) {
    report_frame(i, &cursor);
    if (unw_step(&cursor) <= 0)
      return;
  }
  far_report_str("  ...\n");
}

void far_fatal(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  far_report_str("farmem: ");
  far_report_str(msg);
  far_report_str("\n");
  far_report_backtrace(NULL);
  _exit(1);
}
