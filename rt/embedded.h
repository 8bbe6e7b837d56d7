/* Private to the embedded memory server: locating farmemd, and starting it through a warden
 * process. */
#ifndef FAR_EMBEDDED_H
#define FAR_EMBEDDED_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

/* Writes farmemd's path into path: $FARMEMD, else <dir>/../bin/farmemd or <dir>/farmemd for the
 * directory of the library holding the runtime and of the executable, else the first in $PATH.
 * Returns 0, or -1 with a reason in why. */
int far_embedded_find(char *path, size_t len, char *why, size_t whylen);

struct far_spawn {
  char path[PATH_MAX];
  const char *argv[14];
  int stdout_fd;     /* becomes farmemd's stdout */
  int report_fd;     /* the warden writes farmemd's pid (or -errno) here, as an int */
  pid_t parent;      /* the program */
  int server_status; /* farmemd's wait status, stored by the warden before it exits */
};

/* Starts the warden, which starts farmemd (argv, stdin /dev/null, stdout stdout_fd, stderr shared,
 * no other descriptors, default signal dispositions, own process group), waits for it and exits.
 * Returns the warden's pid, to be waited for with __WCLONE, or -errno. Both die with SIGKILL when
 * the calling thread ends. sp must stay valid for the warden's lifetime. */
pid_t far_spawn_warden(struct far_spawn *sp);

#endif
