// Small leaf helpers of the program (internal functions that call nothing) are inlined into their
// callers before the IR stage instruments anything. The IR stage runs at the pipeline start, before
// LLVM's inliner, so a loop calling `hash(s)` or `rng(&seed)` used to look like a loop with calls:
// its regions were cut at every call (a scope entry and exit each), and loop scopes, chunking and
// range versioning, which need call-free loops, never applied. The native build inlines the same
// helpers; now the far build instruments the code as it will run.
#ifndef FARPASS_IR_EARLY_INLINE_H
#define FARPASS_IR_EARLY_INLINE_H

#include "llvm/IR/PassManager.h"

namespace farpass {

struct EarlyInlinePass : llvm::PassInfoMixin<EarlyInlinePass> {
  llvm::PreservedAnalyses run(llvm::Module &module, llvm::ModuleAnalysisManager &);
};

} // namespace farpass

#endif
