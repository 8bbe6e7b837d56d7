// Far pointers truncated, masked or shifted as integers (see int_casts.h).
#include "int_casts.h"

#include "remoteable.h"

using namespace clang;

namespace farpass {

IntCastChecker::IntCastChecker(ASTContext &ctx) : ctx(ctx), diags(ctx.getDiagnostics()) {
  lossWarning = diags.getCustomDiagID(
      DiagnosticsEngine::Warning,
      "integer from a pointer that may be far is %select{truncated|masked|shifted}0: fine as a "
      "hash or a key, but a pointer made from it again would not reach the object (far pointers "
      "keep a tag in bits 63..56)");
  lossError = diags.getCustomDiagID(
      DiagnosticsEngine::Error,
      "integer from a pointer that may be far is %select{truncated|masked|shifted}0 and then "
      "converted back to a pointer, which would not reach the object (far pointers keep a tag in "
      "bits 63..56)");
}

// EXPR is an integer whose value comes from a pointer that may be far (through integer casts,
// arithmetic and bit operations, and ?:).
bool IntCastChecker::carriesFar(const Expr *expr) const {
  expr = expr->IgnoreParens();
  if (const auto *cast = dyn_cast<CastExpr>(expr)) {
    if (cast->getCastKind() == CK_PointerToIntegral) return mayPointToFar(cast->getSubExpr());
    if (cast->getCastKind() == CK_IntegralCast || cast->getCastKind() == CK_NoOp)
      return carriesFar(cast->getSubExpr());
    return false;
  }
  if (const auto *op = dyn_cast<BinaryOperator>(expr))
    return (op->isAdditiveOp() || op->isBitwiseOp() || op->isShiftOp() ||
            op->isCompoundAssignmentOp()) &&
           (carriesFar(op->getLHS()) || carriesFar(op->getRHS()));
  if (const auto *conditional = dyn_cast<ConditionalOperator>(expr))
    return carriesFar(conditional->getTrueExpr()) || carriesFar(conditional->getFalseExpr());
  return false;
}

// A constant mask that keeps bits 63..56 (aligning down, say).
bool IntCastChecker::keepsTopByte(const Expr *mask) const {
  Expr::EvalResult value;
  return mask->EvaluateAsInt(value, ctx) && value.Val.getInt().getBitWidth() >= 64 &&
         (value.Val.getInt().getZExtValue() >> 56) == 0xff;
}

// How EXPR itself destroys the tag of a far pointer's integer, if it does.
IntCastChecker::Loss IntCastChecker::lossAt(const Expr *expr) const {
  expr = expr->IgnoreParens();
  if (const auto *cast = dyn_cast<CastExpr>(expr)) {
    bool far = cast->getCastKind() == CK_PointerToIntegral ? mayPointToFar(cast->getSubExpr())
               : cast->getCastKind() == CK_IntegralCast    ? carriesFar(cast->getSubExpr())
                                                           : false;
    return far && ctx.getTypeSize(cast->getType()) < 64 ? Truncated : None;
  }
  const auto *op = dyn_cast<BinaryOperator>(expr);
  if (!op) return None;
  BinaryOperatorKind kind = op->getOpcode();
  if (kind == BO_Shl || kind == BO_Shr || kind == BO_ShlAssign || kind == BO_ShrAssign)
    return carriesFar(op->getLHS()) ? Shifted : None;
  if (kind != BO_And && kind != BO_AndAssign) return None;
  bool left = carriesFar(op->getLHS()), right = carriesFar(op->getRHS());
  if (left && right) return Masked;
  if (left) return keepsTopByte(op->getRHS()) ? None : Masked;
  if (right) return keepsTopByte(op->getLHS()) ? None : Masked;
  return None;
}

// The first operation inside the integer expression EXPR that destroys a far pointer's tag.
const Expr *IntCastChecker::findLoss(const Expr *expr) const {
  expr = expr->IgnoreParens();
  if (lossAt(expr) != None) return expr;
  if (const auto *cast = dyn_cast<CastExpr>(expr))
    return cast->getCastKind() == CK_IntegralCast || cast->getCastKind() == CK_NoOp
               ? findLoss(cast->getSubExpr())
               : nullptr;
  if (const auto *op = dyn_cast<BinaryOperator>(expr)) {
    const Expr *lossy = findLoss(op->getLHS());
    return lossy ? lossy : findLoss(op->getRHS());
  }
  if (const auto *conditional = dyn_cast<ConditionalOperator>(expr)) {
    const Expr *lossy = findLoss(conditional->getTrueExpr());
    return lossy ? lossy : findLoss(conditional->getFalseExpr());
  }
  return nullptr;
}

// Marks the lossy operations under EXPR as reported: one diagnostic per expression, at its outermost.
void IntCastChecker::markInner(const Stmt *stmt) {
  for (const Stmt *child : stmt->children()) {
    if (!child) continue;
    if (const auto *expr = dyn_cast<Expr>(child); expr && lossAt(expr) != None) reported.insert(expr);
    markInner(child);
  }
}

void IntCastChecker::report(const Expr *lossy, bool backToPointer) {
  if (!reported.insert(lossy).second) return;
  markInner(lossy);
  if (!backToPointer && diags.getIgnoreAllWarnings()) return; // -w (custom warnings ignore it)
  diags.Report(lossy->getExprLoc(), backToPointer ? lossError : lossWarning) << (int)lossAt(lossy);
}

void IntCastChecker::visitCast(const CastExpr *cast) {
  if (cast->getCastKind() == CK_IntegralToPointer)
    if (const Expr *lossy = findLoss(cast->getSubExpr())) report(lossy, true);
  if (lossAt(cast) != None) report(cast, false);
}

void IntCastChecker::visitOperator(const BinaryOperator *op) {
  // A comparison, a logical operator or a remainder consumes the integer: it cannot become a
  // pointer again (an alignment test such as ((uintptr_t)p & 7) == 0, a hash modulo a size).
  if (op->isComparisonOp() || op->isLogicalOp() || op->getOpcode() == BO_Rem ||
      op->getOpcode() == BO_RemAssign) {
    markInner(op);
    return;
  }
  if (lossAt(op) != None) report(op, false);
}

} // namespace farpass
