// Allocation sites: malloc/calloc/realloc/strdup calls whose result becomes a pointer to a
// remoteable type are redirected to the far heap (far_malloc, ...). free and the remaining
// realloc calls are dispatched at run time by the IR stage (see ir/libc_calls.cpp).
#ifndef FARPASS_AST_ALLOC_SITES_H
#define FARPASS_AST_ALLOC_SITES_H

#include "clang/AST/ASTContext.h"

namespace farpass {

class AllocSiteRewriter {
public:
  explicit AllocSiteRewriter(clang::ASTContext &ctx) : ctx(ctx) {}
  // The value of SOURCE flows into an object of type DEST: redirect it if it is an allocation.
  void flowsInto(clang::Expr *source, clang::QualType dest);

private:
  clang::FunctionDecl *farVersion(const clang::FunctionDecl *libc);
  clang::ASTContext &ctx;
};

} // namespace farpass

#endif
