// The AST stage: runs before code generation (AddBeforeMainAction), sees each top-level
// declaration first, and rewrites allocation sites and scope blocks, reports diagnostics, and
// prepares the runtime header's inline functions for the IR stage.
#include "consumer.h"

#include "alloc_sites.h"
#include "builder.h"
#include "diagnostics.h"
#include "format_marks.h"
#include "int_casts.h"
#include "scope_jumps.h"
#include "scopes.h"

#include "clang/AST/Attr.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/StringSet.h"

using namespace clang;

namespace farpass {
namespace {

// Walks one function body, handing each construct to the rewriter or checker that owns it.
class BodyVisitor : public RecursiveASTVisitor<BodyVisitor> {
public:
  BodyVisitor(ASTContext &ctx, FunctionDecl *fn)
      : ctx(ctx), allocs(ctx), scopes(ctx), diagnostics(ctx), intCasts(ctx), fn(fn) {}

  bool VisitBinaryOperator(BinaryOperator *op) {
    if (op->getOpcode() == BO_Assign) allocs.flowsInto(op->getRHS(), op->getLHS()->getType());
    intCasts.visitOperator(op);
    return true;
  }
  bool VisitVarDecl(VarDecl *var) {
    if (var->getInit()) allocs.flowsInto(var->getInit(), var->getType());
    return true;
  }
  bool VisitReturnStmt(ReturnStmt *ret) {
    if (ret->getRetValue()) allocs.flowsInto(ret->getRetValue(), fn->getReturnType());
    return true;
  }
  bool VisitCallExpr(CallExpr *call) {
    if (const FunctionDecl *callee = call->getDirectCallee())
      for (unsigned i = 0; i < call->getNumArgs() && i < callee->getNumParams(); i++)
        allocs.flowsInto(call->getArg(i), callee->getParamDecl(i)->getType());
    markFormatStrings(ctx, call);
    diagnostics.checkExternalCall(call);
    return true;
  }
  bool VisitExplicitCastExpr(ExplicitCastExpr *cast) {
    allocs.flowsInto(cast, cast->getType());
    return true;
  }
  bool VisitCastExpr(CastExpr *cast) {
    intCasts.visitCast(cast);
    return true;
  }
  bool VisitInitListExpr(InitListExpr *list) {
    const RecordType *record = list->getType()->getAsStructureType();
    if (!record || list->isSyntacticForm()) return true;
    unsigned i = 0;
    for (const FieldDecl *field : record->getDecl()->fields()) {
      if (i >= list->getNumInits()) break;
      allocs.flowsInto(list->getInit(i++), field->getType());
    }
    return true;
  }
  bool VisitGCCAsmStmt(GCCAsmStmt *asmStmt) {
    diagnostics.checkAsm(asmStmt);
    return true;
  }
  bool VisitLabelStmt(LabelStmt *label) {
    scopes.rewrite(label, fn);
    return true;
  }

private:
  ASTContext &ctx;
  AllocSiteRewriter allocs;
  ScopeRewriter scopes;
  FarDiagnostics diagnostics;
  IntCastChecker intCasts;
  FunctionDecl *fn;
};

// The runtime header's inline functions the IR stage calls must be emitted even when the source
// does not call them; the IR stage drops the ones it did not use.
bool isBarrierEntryPoint(llvm::StringRef name) {
  static const llvm::StringSet<> entries = {"far_read", "far_write", "far_read_nt", "far_write_nt",
                                            "far_scope_enter", "far_scope_exit"};
  return entries.contains(name);
}

} // namespace

FarConsumer::FarConsumer(CompilerInstance &compiler) : compiler(compiler) {}

bool FarConsumer::isRuntimeHeader(SourceLocation loc) const {
  const SourceManager &sm = compiler.getSourceManager();
  SourceLocation where = sm.getExpansionLoc(loc);
  return sm.isInSystemHeader(where) && sm.getFilename(where).contains("/far/");
}

void FarConsumer::checkPrelude(ASTContext &ctx, SourceLocation loc) {
  if (preludeChecked) return;
  preludeChecked = true;
  if (lookupFunction(ctx, "__far_scope_open") && lookupFunction(ctx, "far_malloc")) return;
  DiagnosticsEngine &diags = ctx.getDiagnostics();
  diags.Report(loc, diags.getCustomDiagID(DiagnosticsEngine::Error,
                                          "far/farcc.h was not included; compile with farcc"));
}

void FarConsumer::handleFunction(FunctionDecl *fn) {
  ASTContext &ctx = fn->getASTContext();
  if (isRuntimeHeader(fn->getLocation())) {
    fn->addAttr(DisableSanitizerInstrumentationAttr::CreateImplicit(ctx));
    if (fn->getIdentifier() && isBarrierEntryPoint(fn->getName()))
      fn->addAttr(UsedAttr::CreateImplicit(ctx));
    return;
  }
  // Inline functions of system headers get barriers from the IR stage, but no AST rewriting.
  if (!fn->hasBody() || compiler.getSourceManager().isInSystemHeader(fn->getLocation())) return;
  checkPrelude(ctx, fn->getLocation());
  BodyVisitor(ctx, fn).TraverseStmt(fn->getBody());
  checkScopeJumps(ctx, fn->getBody());
}

bool FarConsumer::HandleTopLevelDecl(DeclGroupRef group) {
  for (Decl *decl : group)
    if (auto *fn = dyn_cast<FunctionDecl>(decl)) handleFunction(fn);
  return true;
}

} // namespace farpass
