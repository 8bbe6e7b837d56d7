// `farcc --emit-rewritten`: writes the instrumented module for reading, as LLVM IR right after the
// IR stage (barrier, scope and far-libc calls visible as calls, before the runtime's inline fast
// paths are inlined and before the rest of the optimisation pipeline), each stretch of
// instructions headed by the source line it comes from, and each runtime call marked.
#ifndef FARPASS_IR_REWRITTEN_H
#define FARPASS_IR_REWRITTEN_H

#include "llvm/IR/PassManager.h"

namespace farpass {

struct RewrittenPrinterPass : llvm::PassInfoMixin<RewrittenPrinterPass> {
  llvm::PreservedAnalyses run(llvm::Module &module, llvm::ModuleAnalysisManager &);
  static bool isRequired() { return true; }
};

} // namespace farpass

#endif
