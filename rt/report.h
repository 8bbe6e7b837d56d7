/* Async-signal-safe error output shared by far_fatal and the safety net: plain write(2) to stderr,
 * no stdio, no malloc. */
#ifndef FAR_REPORT_H
#define FAR_REPORT_H

#include <stdint.h>
#include <ucontext.h>

void far_report_str(const char *s);
void far_report_hex(uint64_t v);
/* "farmem: backtrace:" and one line per frame ("  #1 0x... in name+0x1c"). With uc (a signal's
 * context), the first frame is the interrupted instruction; without, the caller of this function. */
void far_report_backtrace(ucontext_t *uc);

#endif
