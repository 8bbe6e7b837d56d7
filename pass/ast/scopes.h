// `__scope { ... }` blocks (a label named __far_scope_N or __far_ntscope_N on a compound
// statement, see far/farcc.h) become blocks that open a deref scope on entry and close it on
// every exit, through a guard variable with a cleanup attribute.
#ifndef FARPASS_AST_SCOPES_H
#define FARPASS_AST_SCOPES_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Stmt.h"

namespace farpass {

class ScopeRewriter {
public:
  explicit ScopeRewriter(clang::ASTContext &ctx) : ctx(ctx) {}
  // Rewrites LABEL if it marks a scope block; FN owns the guard variable.
  void rewrite(clang::LabelStmt *label, clang::FunctionDecl *fn);

private:
  clang::ASTContext &ctx;
};

} // namespace farpass

#endif
