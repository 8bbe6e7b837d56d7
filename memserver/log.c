/* farmemd's log. Each message is formatted into one buffer and written with one write(2), so lines
 * from different threads never interleave. */
#include "log.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level current = LOG_INFO;
static const char *const names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level) { current = level; }

int log_enabled(enum log_level level) { return level <= current; }

int log_parse_level(const char *name) {
  for (int i = 0; i <= LOG_DEBUG; i++)
    if (strcmp(name, names[i]) == 0)
      return i;
  return -1;
}

void log_msg(enum log_level level, const char *fmt, ...) {
  if (!log_enabled(level))
    return;
  char line[512];
  int n = snprintf(line, sizeof line, "farmemd: %s: ", names[level]);
  va_list ap;
  va_start(ap, fmt);
  n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof line - 2)
    n = (int)sizeof line - 2;
  line[n++] = '\n';
  ssize_t w = write(STDERR_FILENO, line, (size_t)n);
  (void)w;
}
