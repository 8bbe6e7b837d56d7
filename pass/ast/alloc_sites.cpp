// Redirects allocation calls whose result is used as a pointer to a remoteable type.
#include "alloc_sites.h"

#include "builder.h"
#include "remoteable.h"

#include "clang/AST/Expr.h"
#include "llvm/ADT/StringSwitch.h"

using namespace clang;

namespace farpass {

FunctionDecl *AllocSiteRewriter::farVersion(const FunctionDecl *libc) {
  if (!libc->getIdentifier()) return nullptr;
  llvm::StringRef target = llvm::StringSwitch<llvm::StringRef>(libc->getName())
                               .Case("malloc", "far_malloc")
                               .Case("calloc", "far_calloc")
                               .Case("realloc", "farcc_realloc_to_far")
                               .Case("reallocarray", "farcc_reallocarray_to_far")
                               .Case("strdup", "far_strdup")
                               .Default("");
  return target.empty() ? nullptr : lookupFunction(ctx, target);
}

void AllocSiteRewriter::flowsInto(Expr *source, QualType dest) {
  while (source) {
    source = source->IgnoreParens();
    if (auto *cast = dyn_cast<CastExpr>(source)) {
      if (isa<ExplicitCastExpr>(cast) && cast->getType()->isPointerType()) dest = cast->getType();
      source = cast->getSubExpr();
    } else if (auto *conditional = dyn_cast<ConditionalOperator>(source)) {
      flowsInto(conditional->getTrueExpr(), dest);
      source = conditional->getFalseExpr();
    } else if (auto *comma = dyn_cast<BinaryOperator>(source); comma && comma->isCommaOp()) {
      source = comma->getRHS();
    } else {
      break;
    }
  }
  auto *call = dyn_cast_or_null<CallExpr>(source);
  if (!call || !isRemoteablePointer(dest)) return;
  auto *callee = dyn_cast<DeclRefExpr>(call->getCallee()->IgnoreParenImpCasts());
  if (!callee) return;
  auto *fn = dyn_cast<FunctionDecl>(callee->getDecl());
  if (FunctionDecl *far = fn ? farVersion(fn) : nullptr) {
    callee->setDecl(far);
    callee->setType(far->getType());
  }
}

} // namespace farpass
