// printf-like functions other than the libc ones the IR stage knows (a program's own logging
// wrapper declared with __attribute__((format(printf, ...))), syslog, err, warn, error): with a
// literal format, each %s argument that may point to far memory is wrapped in a call to the
// prelude's marker __far_format_string, and the IR stage gives the call a local bounce copy of
// that string (ir/libc_calls.cpp). The wrapper hands its va_list to vfprintf & co., which could
// not read far memory.
#ifndef FARPASS_AST_FORMAT_MARKS_H
#define FARPASS_AST_FORMAT_MARKS_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Expr.h"

namespace farpass {

void markFormatStrings(clang::ASTContext &ctx, clang::CallExpr *call);

} // namespace farpass

#endif
