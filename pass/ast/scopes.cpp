// Turns a marked block into { int guard __attribute__((cleanup(__far_scope_close))) =
// __far_scope_open(site, nontemporal); <block> }. The cleanup runs on fall-through, break,
// continue, goto and return, so the scope is closed on every exit path (longjmp excepted).
#include "scopes.h"

#include "builder.h"

#include "clang/AST/Attr.h"
#include "clang/AST/Decl.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/SourceManager.h"

using namespace clang;

namespace farpass {

void ScopeRewriter::rewrite(LabelStmt *label, FunctionDecl *fn) {
  llvm::StringRef name = label->getName();
  bool nontemporal = name.startswith("__far_ntscope_");
  if (!nontemporal && !name.startswith("__far_scope_")) return;
  DiagnosticsEngine &diags = ctx.getDiagnostics();
  auto *block = dyn_cast<CompoundStmt>(label->getSubStmt());
  if (!block) {
    diags.Report(label->getBeginLoc(),
                 diags.getCustomDiagID(DiagnosticsEngine::Error,
                                       "__scope must be followed by a { block }"));
    return;
  }
  FunctionDecl *open = lookupFunction(ctx, "__far_scope_open");
  FunctionDecl *close = lookupFunction(ctx, "__far_scope_close");
  if (!open || !close) return; // the prelude is missing; the consumer reports it once
  SourceLocation loc = label->getBeginLoc();
  unsigned line = ctx.getSourceManager().getPresumedLineNumber(loc);
  Expr *args[] = {intLiteral(ctx, ctx.UnsignedIntTy, line, loc),
                  intLiteral(ctx, ctx.IntTy, nontemporal, loc)};
  auto *guard = VarDecl::Create(ctx, fn, loc, loc, &ctx.Idents.get("__far_scope_guard"), ctx.IntTy,
                                ctx.getTrivialTypeSourceInfo(ctx.IntTy), SC_None);
  guard->setInit(callFunction(ctx, open, args, loc));
  guard->addAttr(CleanupAttr::CreateImplicit(ctx, close));
  guard->setIsUsed();
  auto *declaration = new (ctx) DeclStmt(DeclGroupRef(guard), loc, loc);
  Stmt *body[] = {declaration, block};
  label->setSubStmt(CompoundStmt::Create(ctx, body, block->getLBracLoc(), block->getRBracLoc()));
}

} // namespace farpass
