/* libc interop for farcc-compiled code (library libfarinterop, linked by farcc). The plugin
 * redirects calls to these libc functions here when an argument may point to far memory; each
 * accepts local and far pointers alike and behaves like its libc namesake. Strings and buffers
 * that libc must read or write are moved through local bounce buffers. */
#ifndef FAR_INTEROP_H
#define FAR_INTEROP_H

#include "far/libc_types.h" /* size_t, FILE */

void *farcc_realloc_to_far(void *p, size_t n); /* result is far even when p came from libc */
void *farcc_reallocarray_to_far(void *p, size_t n, size_t size); /* the same for reallocarray */
void *farcc_reallocarray(void *p, size_t n, size_t size);        /* p may be far */
char *farcc_strdup(const char *s);             /* libc copy of a local or far string */
char *farcc_strndup(const char *s, size_t n);
char *farcc_strcat(char *dst, const char *src);
char *farcc_strncat(char *dst, const char *src, size_t n);
char *farcc_strrchr(const char *s, int c);
char *farcc_strstr(const char *haystack, const char *needle);
char *farcc_strchrnul(const char *s, int c);
char *farcc_strpbrk(const char *s, const char *accept);
char *farcc_strcasestr(const char *haystack, const char *needle);
char *farcc_stpcpy(char *dst, const char *src);
char *farcc_strtok(char *s, const char *delim);            /* its own state, for every strtok call */
char *farcc_strtok_r(char *s, const char *delim, char **save);
char *farcc_strsep(char **sp, const char *delim);
void *farcc_memchr(const void *s, int c, size_t n);
void *farcc_memrchr(const void *s, int c, size_t n);
void *farcc_memmem(const void *haystack, size_t hn, const void *needle, size_t nn);
void *farcc_mempcpy(void *dst, const void *src, size_t n);
size_t farcc_fwrite(const void *p, size_t size, size_t n, FILE *f);
size_t farcc_fread(void *p, size_t size, size_t n, FILE *f);
char *farcc_fgets(char *s, int n, FILE *f);
int farcc_sprintf(char *dst, const char *format, ...); /* dst may be far */
long farcc_strtol(const char *s, char **end, int base);
unsigned long farcc_strtoul(const char *s, char **end, int base);
long long farcc_strtoll(const char *s, char **end, int base);
unsigned long long farcc_strtoull(const char *s, char **end, int base);
double farcc_strtod(const char *s, char **end);
float farcc_strtof(const char *s, char **end);
void farcc_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void *farcc_bsearch(const void *key, const void *base, size_t n, size_t size,
                    int (*cmp)(const void *, const void *));

/* Bounce buffers for arguments of other libc calls (printf %s, scanf destinations, puts, atoi,
 * fopen, ...): farcc_bounce_in returns p itself when it is local, else a libc copy of the string
 * (size 0) or of size bytes; farcc_bounce_out copies a bounce of size bytes (0: a string) back to the far
 * original; farcc_bounce_release frees a bounce. */
void *farcc_bounce_in(const void *p, size_t size);
void *farcc_bounce_scratch(const void *p, size_t size); /* like bounce_in, nothing copied in */
void farcc_bounce_out(void *far, const void *bounce, size_t size);
void farcc_bounce_release(const void *bounce, const void *original);

#endif
