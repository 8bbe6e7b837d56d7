// The plugin's compile-time diagnostics. Every message carries the file:line:col of the construct.
#include "diagnostics.h"

#include "remoteable.h"
#include "../ir/libc_calls.h"

#include "clang/AST/Decl.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/StringMap.h"

using namespace clang;

namespace farpass {

// Pointer arguments that a library function only hands on and never dereferences: a far pointer
// there reaches farcc-compiled code (the thread function, tsearch's comparator) or stays opaque.
static bool isOpaqueArgument(llvm::StringRef function, unsigned index) {
  static const llvm::StringMap<unsigned> opaque = {
      {"pthread_create", 3}, {"pthread_setspecific", 1}, {"thrd_create", 2}, {"tsearch", 0},
      {"tfind", 0},          {"tdelete", 0},             {"on_exit", 1}};
  auto found = opaque.find(function);
  return found != opaque.end() && found->second == index;
}

FarDiagnostics::FarDiagnostics(ASTContext &ctx) : ctx(ctx), diags(ctx.getDiagnostics()) {
  asmError = diags.getCustomDiagID(
      DiagnosticsEngine::Error,
      "inline asm operand may refer to far memory; the far-memory plugin cannot put a barrier "
      "inside asm (copy the value to a local variable first)");
  externalWarning = diags.getCustomDiagID(
      DiagnosticsEngine::Warning,
      "pointer that may point to far memory passed to external function '%0', which farcc cannot "
      "instrument; copy the data to a local buffer first");
}

void FarDiagnostics::checkAsm(const GCCAsmStmt *asmStmt) {
  for (unsigned i = 0; i < asmStmt->getNumOutputs(); i++) {
    const Expr *out = asmStmt->getOutputExpr(i);
    if (lvalueMayBeFar(out) || mayPointToFar(out)) diags.Report(out->getExprLoc(), asmError);
  }
  for (unsigned i = 0; i < asmStmt->getNumInputs(); i++) {
    const Expr *in = asmStmt->getInputExpr(i);
    if (lvalueMayBeFar(in) || mayPointToFar(in)) diags.Report(in->getExprLoc(), asmError);
  }
}

void FarDiagnostics::checkExternalCall(const CallExpr *call) {
  const FunctionDecl *fn = call->getDirectCallee();
  if (!fn || !fn->getIdentifier() || fn->hasBody()) return;
  llvm::StringRef name = fn->getName();
  if (name.startswith("far_") || name.startswith("__far") || name.startswith("farcc_") ||
      name.startswith("__builtin") || isInteropFunction(name))
    return;
  // -w: custom warnings ignore it otherwise (and -Werror does not make them errors)
  if (diags.getIgnoreAllWarnings() || !ctx.getSourceManager().isInSystemHeader(fn->getLocation()))
    return;
  for (unsigned i = 0; i < call->getNumArgs(); i++)
    if (!isOpaqueArgument(name, i) && mayPointToFar(call->getArg(i))) {
      diags.Report(call->getArg(i)->getExprLoc(), externalWarning) << name;
      return;
    }
}

} // namespace farpass
