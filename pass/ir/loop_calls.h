// Calls that leave the code the plugin can see: any call but an LLVM intrinsic. Loop work that must
// see every write of a loop (hoisting, range versioning) or holds a scope across its iterations
// skips loops that make one; a region of barriers ends at one; early inlining takes only leaves.
// Also how long such a loop may hold a scope while barriers that can miss run inside it.
#ifndef FARPASS_IR_LOOP_CALLS_H
#define FARPASS_IR_LOOP_CALLS_H

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/IntrinsicInst.h"

namespace farpass {

// Iterations a loop may hold one scope across while its body has barriers that may miss: bounds
// how long the evacuator can wait for it (loop scopes, and chunks of versioned loops).
constexpr unsigned kIterationsPerScope = 32;

inline bool isRealCall(const llvm::Instruction &inst) {
  return llvm::isa<llvm::CallBase>(inst) && !llvm::isa<llvm::IntrinsicInst>(inst);
}

inline bool isCallFree(const llvm::Loop &loop) {
  for (const llvm::BasicBlock *block : loop.blocks())
    for (const llvm::Instruction &inst : *block)
      if (isRealCall(inst)) return false;
  return true;
}

} // namespace farpass

#endif
