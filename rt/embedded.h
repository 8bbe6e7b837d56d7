/* Private to the embedded memory server: locating the farmemd executable. */
#ifndef FAR_EMBEDDED_H
#define FAR_EMBEDDED_H

#include <stddef.h>

/* Writes farmemd's path into path: $FARMEMD, else <dir>/../bin/farmemd or <dir>/farmemd for the
 * directory of the library holding the runtime and of the executable, else the first in $PATH.
 * Returns 0, or -1 with a reason in why. */
int far_embedded_find(char *path, size_t len, char *why, size_t whylen);

#endif
