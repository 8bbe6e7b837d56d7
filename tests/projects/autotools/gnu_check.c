/* GNU extensions on far memory in a file whose _GNU_SOURCE comes from config.h (as autotools'
 * AC_USE_SYSTEM_EXTENSIONS writes it): asprintf, strcasestr and a far string from strdup. */
#include <config.h>

#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct __remoteable label { char text[32]; };

int main(void) {
  struct label *l = malloc(sizeof *l);
  strcpy(l->text, "Far Memory");
  char *line;
  if (asprintf(&line, "%s/%s", l->text, strcasestr(l->text, "memory")) < 0) return 1;
  printf("%s %d\n", line, HAVE_ASPRINTF + HAVE_STRCASESTR);
  free(line);
  free(l);
  return 0;
}
