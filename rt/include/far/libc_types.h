/* The libc types the runtime's public headers use (uint64_t, uintptr_t, FILE). farcc's prelude
 * includes far/rt.h before the program's first line, and glibc fixes its feature-test macros
 * (_GNU_SOURCE, _POSIX_C_SOURCE, ...) at the first libc header it sees, so under farcc these
 * headers include none: the types come from the compiler's own definitions, and glibc's later
 * typedefs of the same types are compatible redefinitions. Elsewhere the usual libc headers. */
#ifndef FAR_LIBC_TYPES_H
#define FAR_LIBC_TYPES_H

#include <stddef.h> /* the compiler's own header: no libc */

#ifdef __FARCC__
typedef __UINT64_TYPE__ uint64_t;
typedef __UINTPTR_TYPE__ uintptr_t;
struct _IO_FILE;
typedef struct _IO_FILE FILE;
#else
#include <stdint.h>
#include <stdio.h>
#endif

#endif
