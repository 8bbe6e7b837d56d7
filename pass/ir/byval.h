// By-value struct arguments are copied by the call lowering, out of the IR stage's sight. When
// the source may be far, the copy is made explicit in IR (a stack temporary filled by a memcpy,
// which then gets its barriers like any other access) and the temporary is passed instead.
#ifndef FARPASS_IR_BYVAL_H
#define FARPASS_IR_BYVAL_H

#include "llvm/IR/PassManager.h"

namespace farpass {

struct ByvalCopyPass : llvm::PassInfoMixin<ByvalCopyPass> {
  llvm::PreservedAnalyses run(llvm::Function &fn, llvm::FunctionAnalysisManager &);
  static bool isRequired() { return true; }
};

} // namespace farpass

#endif
