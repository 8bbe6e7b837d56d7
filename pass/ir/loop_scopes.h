// Loop scopes: a call-free innermost loop holds one deref scope across up to kIterationsPerScope
// iterations (entered lazily by its first far barrier, left at a safepoint on the latch and at
// the loop's exits), so the barrier regions inside it nest in that scope and pay a depth
// increment instead of publishing the epoch every iteration. Barrier results are still used only
// inside their region; the loop scope only makes entering and leaving cheaper.
#ifndef FARPASS_IR_LOOP_SCOPES_H
#define FARPASS_IR_LOOP_SCOPES_H

#include "runtime_api.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/Instructions.h"

namespace farpass {

// The state of one loop holding a scope, in stack slots: whether the scope is held, and its
// generation (incremented whenever the loop leaves its scope, so caches of local addresses taken
// in an earlier scope are recognised as stale).
struct LoopScope {
  llvm::AllocaInst *held, *generation;
};

// For each block of an instrumented loop, that loop's scope state.
using LoopScopeFlags = llvm::DenseMap<const llvm::BasicBlock *, LoopScope>;

// Instruments the preheaders, latches and exits of FN's eligible loops that have a block in
// BARRIER_BLOCKS (blocks holding barrier regions).
LoopScopeFlags holdLoopScopes(llvm::Function &fn, llvm::LoopInfo &loops, RuntimeApi &api,
                              const llvm::SmallPtrSetImpl<const llvm::BasicBlock *> &barrierBlocks);

} // namespace farpass

#endif
