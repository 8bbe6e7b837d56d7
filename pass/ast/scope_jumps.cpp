// Finds jumps into __scope blocks and longjmp calls inside them (see scope_jumps.h).
#include "scope_jumps.h"

#include "clang/AST/Expr.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace clang;

namespace farpass {
namespace {

bool isScopeLabel(const LabelStmt *label) {
  llvm::StringRef name = label->getName();
  return name.startswith("__far_scope_") || name.startswith("__far_ntscope_");
}

// The jumps and jump targets of one statement tree.
struct Jumps : RecursiveASTVisitor<Jumps> {
  llvm::SmallPtrSet<const LabelDecl *, 8> labels;      // labels defined inside
  llvm::SmallPtrSet<const Stmt *, 8> sources;          // gotos and label addresses inside
  llvm::SmallPtrSet<const SwitchCase *, 8> ownedCases; // cases of switches inside
  std::vector<const GotoStmt *> gotos;
  std::vector<const AddrLabelExpr *> addresses;
  std::vector<const SwitchCase *> cases;
  std::vector<const LabelStmt *> scopes;
  std::vector<const CallExpr *> longjmps;

  bool VisitLabelStmt(LabelStmt *label) {
    labels.insert(label->getDecl());
    if (isScopeLabel(label)) scopes.push_back(label);
    return true;
  }
  bool VisitGotoStmt(GotoStmt *jump) {
    gotos.push_back(jump);
    sources.insert(jump);
    return true;
  }
  bool VisitAddrLabelExpr(AddrLabelExpr *address) {
    addresses.push_back(address);
    sources.insert(address);
    return true;
  }
  bool VisitSwitchStmt(SwitchStmt *s) {
    for (const SwitchCase *c = s->getSwitchCaseList(); c; c = c->getNextSwitchCase())
      ownedCases.insert(c);
    return true;
  }
  bool VisitSwitchCase(SwitchCase *c) {
    cases.push_back(c);
    return true;
  }
  bool VisitCallExpr(CallExpr *call) {
    const FunctionDecl *fn = call->getDirectCallee();
    if (fn && fn->getIdentifier() &&
        llvm::StringSwitch<bool>(fn->getName())
            .Cases("longjmp", "_longjmp", "siglongjmp", "__longjmp_chk", true)
            .Default(false))
      longjmps.push_back(call);
    return true;
  }
};

class ScopeJumpChecker {
public:
  ScopeJumpChecker(ASTContext &ctx, const Jumps &function)
      : diags(ctx.getDiagnostics()), sm(ctx.getSourceManager()), function(function) {
    intoError = diags.getCustomDiagID(
        DiagnosticsEngine::Error, "%0 into the __scope block of line %1 is not supported: the "
                                  "jump would skip the block's scope entry");
    longjmpError = diags.getCustomDiagID(
        DiagnosticsEngine::Error, "longjmp out of the __scope block of line %0 is not supported: "
                                  "the block's scope would stay open");
  }

  void check(const LabelStmt *scope) {
    Jumps inside;
    inside.TraverseStmt(const_cast<Stmt *>(scope->getSubStmt()));
    unsigned line = sm.getPresumedLineNumber(scope->getBeginLoc());
    for (const GotoStmt *jump : function.gotos)
      if (inside.labels.count(jump->getLabel()) && !inside.sources.count(jump))
        diags.Report(jump->getGotoLoc(), intoError) << "goto" << line;
    for (const AddrLabelExpr *address : function.addresses)
      if (inside.labels.count(address->getLabel()) && !inside.sources.count(address))
        diags.Report(address->getExprLoc(), intoError) << "a computed goto" << line;
    for (const SwitchCase *c : inside.cases)
      if (!inside.ownedCases.count(c))
        diags.Report(c->getKeywordLoc(), intoError) << "a switch's case label" << line;
    for (const CallExpr *call : inside.longjmps)
      diags.Report(call->getExprLoc(), longjmpError) << line;
  }

private:
  DiagnosticsEngine &diags;
  const SourceManager &sm;
  const Jumps &function;
  unsigned intoError, longjmpError;
};

} // namespace

void checkScopeJumps(ASTContext &ctx, Stmt *body) {
  Jumps function;
  function.TraverseStmt(body);
  ScopeJumpChecker checker(ctx, function);
  for (const LabelStmt *scope : function.scopes) checker.check(scope);
}

} // namespace farpass
