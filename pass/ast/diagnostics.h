// Compile-time diagnostics with file:line:col: errors for constructs the plugin cannot make safe
// (inline asm on far memory), warnings for far-derived pointers handed to external library
// functions it cannot see into. Far pointers as integers: int_casts.h.
#ifndef FARPASS_AST_DIAGNOSTICS_H
#define FARPASS_AST_DIAGNOSTICS_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Expr.h"
#include "clang/AST/Stmt.h"

namespace farpass {

class FarDiagnostics {
public:
  explicit FarDiagnostics(clang::ASTContext &ctx);
  void checkAsm(const clang::GCCAsmStmt *asmStmt);
  void checkExternalCall(const clang::CallExpr *call);

private:
  clang::ASTContext &ctx;
  clang::DiagnosticsEngine &diags;
  unsigned asmError, externalWarning;
};

} // namespace farpass

#endif
