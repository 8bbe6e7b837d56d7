// libc interop at the IR level: calls whose pointer arguments may be far go to far-aware versions
// (far_memcpy & co. in the runtime, farcc_* in libfarinterop) or get bounce buffers; free goes to
// far_free and realloc to a dispatcher; memory intrinsics too large for a barrier go to far_mem*.
#ifndef FARPASS_IR_LIBC_CALLS_H
#define FARPASS_IR_LIBC_CALLS_H

#include "llvm/IR/PassManager.h"

namespace farpass {

// NAME is a libc function whose far pointer arguments the pass handles (redirect, bounce buffer
// or format); the AST stage warns about far pointers passed to other external functions.
bool isInteropFunction(llvm::StringRef name);

struct LibcCallPass : llvm::PassInfoMixin<LibcCallPass> {
  llvm::PreservedAnalyses run(llvm::Function &fn, llvm::FunctionAnalysisManager &);
  static bool isRequired() { return true; }
};

} // namespace farpass

#endif
