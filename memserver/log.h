/* farmemd's log: one line per event on stderr, filtered by --log-level. */
#ifndef FARMEMD_LOG_H
#define FARMEMD_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
int log_enabled(enum log_level level);
/* Parses "error", "warn", "info" or "debug"; -1 otherwise. */
int log_parse_level(const char *name);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
