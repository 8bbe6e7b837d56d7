// Far pointers as integers. A far pointer keeps its tag in bits 63..56, so an integer made from
// one is a pointer again only while those bits survive. Truncating, masking (without keeping the
// top byte) or shifting it is reported: an error when the result is turned back into a pointer in
// the same expression, otherwise a warning (a hash or a key of a far pointer is fine, but a
// pointer made from it later, which the plugin cannot follow, would not reach the object), and
// nothing when a comparison, a logical operator or a remainder consumes it in the expression.
#ifndef FARPASS_AST_INT_CASTS_H
#define FARPASS_AST_INT_CASTS_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Expr.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace farpass {

class IntCastChecker {
public:
  explicit IntCastChecker(clang::ASTContext &ctx);
  // Both are called for every cast and binary operator, a parent before its operands.
  void visitCast(const clang::CastExpr *cast);
  void visitOperator(const clang::BinaryOperator *op);

private:
  enum Loss { None = -1, Truncated, Masked, Shifted };
  bool carriesFar(const clang::Expr *expr) const;
  Loss lossAt(const clang::Expr *expr) const;
  const clang::Expr *findLoss(const clang::Expr *expr) const;
  bool keepsTopByte(const clang::Expr *mask) const;
  void markInner(const clang::Stmt *stmt);
  void report(const clang::Expr *lossy, bool backToPointer);

  clang::ASTContext &ctx;
  clang::DiagnosticsEngine &diags;
  unsigned lossWarning, lossError;
  llvm::SmallPtrSet<const clang::Expr *, 4> reported;
};

} // namespace farpass

#endif
