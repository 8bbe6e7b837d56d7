// Marks far %s arguments of printf-like calls for bounce buffers (see format_marks.h).
#include "format_marks.h"

#include "builder.h"
#include "remoteable.h"
#include "../ir/format_args.h"
#include "../ir/libc_calls.h"

#include "clang/AST/Attr.h"

using namespace clang;

namespace farpass {

void markFormatStrings(ASTContext &ctx, CallExpr *call) {
  const FunctionDecl *fn = call->getDirectCallee();
  if (!fn || !fn->getIdentifier() || isInteropFunction(fn->getName())) return;
  const auto *format = fn->getAttr<FormatAttr>();
  // getFirstArg() == 0: the function takes a va_list (vprintf-like); nothing to mark.
  if (!format || format->getType()->getName() != "printf" || format->getFirstArg() == 0) return;
  unsigned formatIndex = format->getFormatIdx() - 1, first = format->getFirstArg() - 1;
  if (fn->isCXXInstanceMember() || formatIndex >= call->getNumArgs()) return;
  const auto *literal = dyn_cast<StringLiteral>(call->getArg(formatIndex)->IgnoreParenImpCasts());
  FunctionDecl *marker = lookupFunction(ctx, "__far_format_string");
  if (!literal || !literal->isAscii() || !marker) return;
  for (const FormatArg &arg : printfStringArgs(literal->getString())) {
    unsigned i = first + arg.index;
    if (i >= call->getNumArgs() || !mayPointToFar(call->getArg(i))) continue;
    Expr *string = call->getArg(i);
    call->setArg(i, callFunction(ctx, marker, {string}, string->getExprLoc()));
  }
}

} // namespace farpass
