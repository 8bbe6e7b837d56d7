// After instrumentation: the runtime header's barrier functions were kept alive (llvm.used) for
// the IR stage by the AST stage; drop that mark so unused copies are discarded as usual.
#ifndef FARPASS_IR_USED_CLEANUP_H
#define FARPASS_IR_USED_CLEANUP_H

#include "llvm/IR/PassManager.h"

namespace farpass {

struct UsedCleanupPass : llvm::PassInfoMixin<UsedCleanupPass> {
  llvm::PreservedAnalyses run(llvm::Module &module, llvm::ModuleAnalysisManager &);
  static bool isRequired() { return true; }
};

} // namespace farpass

#endif
