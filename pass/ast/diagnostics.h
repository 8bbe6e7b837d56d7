// Compile-time diagnostics with file:line:col: errors for constructs the plugin cannot make safe
// (inline asm on far memory, far pointers truncated or masked as integers), warnings for
// far-derived pointers handed to external library functions it cannot see into.
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
  void checkPointerToInt(const clang::CastExpr *cast);
  void checkMaskedPointer(const clang::BinaryOperator *op);
  void checkExternalCall(const clang::CallExpr *call);

private:
  clang::ASTContext &ctx;
  clang::DiagnosticsEngine &diags;
  unsigned asmError, truncateError, maskError, externalWarning;
};

} // namespace farpass

#endif
