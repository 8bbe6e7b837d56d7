// Type and expression predicates: what is remoteable, what may point into far memory.
#include "remoteable.h"

#include "clang/AST/Attr.h"
#include "clang/AST/Decl.h"

using namespace clang;

namespace farpass {

static bool hasRemoteableAttr(const RecordDecl *record) {
  for (const TagDecl *r : record->redecls())
    for (const auto *a : r->specific_attrs<AnnotateAttr>())
      if (a->getAnnotation() == "far_remoteable") return true;
  return false;
}

bool isRemoteableRecord(const RecordDecl *record) {
  if (!record) return false;
  if (hasRemoteableAttr(record)) return true;
  const RecordDecl *def = record->getDefinition();
  if (!def) return false;
  for (const FieldDecl *field : def->fields())
    if (isRemoteableType(field->getType())) return true;
  return false;
}

bool isRemoteableType(QualType type) {
  if (type.isNull()) return false;
  const Type *t = type.getCanonicalType().getTypePtr();
  while (const ArrayType *array = t->getAsArrayTypeUnsafe())
    t = array->getElementType().getCanonicalType().getTypePtr();
  if (const RecordType *record = t->getAs<RecordType>()) return isRemoteableRecord(record->getDecl());
  return false;
}

bool isRemoteablePointer(QualType type) {
  if (type.isNull()) return false;
  const PointerType *pointer = type.getCanonicalType()->getAs<PointerType>();
  return pointer && isRemoteableType(pointer->getPointeeType());
}

bool lvalueMayBeFar(const Expr *expr) {
  expr = expr->IgnoreParens();
  if (const auto *member = dyn_cast<MemberExpr>(expr))
    return member->isArrow() ? mayPointToFar(member->getBase()) : lvalueMayBeFar(member->getBase());
  if (const auto *unary = dyn_cast<UnaryOperator>(expr))
    return unary->getOpcode() == UO_Deref && mayPointToFar(unary->getSubExpr());
  if (const auto *subscript = dyn_cast<ArraySubscriptExpr>(expr))
    return mayPointToFar(subscript->getBase());
  return false;
}

bool mayPointToFar(const Expr *expr) {
  expr = expr->IgnoreParens();
  if (isRemoteablePointer(expr->getType())) return true;
  if (const auto *cast = dyn_cast<CastExpr>(expr)) {
    switch (cast->getCastKind()) {
    case CK_ArrayToPointerDecay: return lvalueMayBeFar(cast->getSubExpr());
    case CK_LValueToRValue: return false; // a loaded pointer: only its type speaks for it
    default: return mayPointToFar(cast->getSubExpr());
    }
  }
  if (const auto *unary = dyn_cast<UnaryOperator>(expr))
    return unary->getOpcode() == UO_AddrOf && lvalueMayBeFar(unary->getSubExpr());
  if (const auto *binary = dyn_cast<BinaryOperator>(expr))
    return (binary->isAdditiveOp() || binary->isCommaOp() || binary->isAssignmentOp()) &&
           binary->getType()->isPointerType() &&
           ((!binary->isCommaOp() && mayPointToFar(binary->getLHS())) ||
            mayPointToFar(binary->getRHS()));
  if (const auto *conditional = dyn_cast<AbstractConditionalOperator>(expr))
    return mayPointToFar(conditional->getTrueExpr()) || mayPointToFar(conditional->getFalseExpr());
  return false;
}

} // namespace farpass
