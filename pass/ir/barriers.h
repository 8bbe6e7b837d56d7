// The IR stage's central pass: a checked barrier (tag test, then the runtime's fast path) on every
// load, store, atomic and small memory intrinsic whose pointer may be far, grouped per region.
#ifndef FARPASS_IR_BARRIERS_H
#define FARPASS_IR_BARRIERS_H

#include "llvm/IR/PassManager.h"

namespace farpass {

struct BarrierPass : llvm::PassInfoMixin<BarrierPass> {
  // LOOP_SCOPES: call-free innermost loops hold a scope across iterations (loop_scopes.h); needs
  // loops in simplified form, so it is used when optimising.
  explicit BarrierPass(bool loopScopes) : holdScopesInLoops(loopScopes) {}
  bool holdScopesInLoops;
  llvm::PreservedAnalyses run(llvm::Function &fn, llvm::FunctionAnalysisManager &);
  static bool isRequired() { return true; } // also at -O0 / optnone
};

// Functions the IR stage leaves alone: declarations and the runtime header's own functions
// (the AST stage marks those disable_sanitizer_instrumentation).
bool isInstrumentable(const llvm::Function &fn);

} // namespace farpass

#endif
