// Range barriers for counted loops: TrackFM's "check once, then run the plain loop". An innermost
// call-free loop with a computable trip count is versioned: before it, each access that runs on
// every iteration at an address affine in the iteration number has its whole range [lo, hi)
// checked; when every range is either not far or inside one far object (and the loop is short
// enough to hold one scope throughout), the loop runs with one barrier per access taken before it
// and plain, vectorisable accesses inside. Otherwise an unchanged copy of the loop runs and gets
// the usual loop scope, chunking and barriers.
#ifndef FARPASS_IR_LOOP_RANGES_H
#define FARPASS_IR_LOOP_RANGES_H

#include "runtime_api.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/IR/Dominators.h"

namespace farpass {

// A simple (non-atomic, non-volatile) load or store: its pointer operand and accessed type.
struct PlainAccess {
  unsigned operand;
  llvm::Type *type;
};
llvm::Optional<PlainAccess> plainAccess(llvm::Instruction &inst);

// Versions the eligible loops of FN; the accesses given range barriers are added to DONE.
// Returns whether FN changed (its loop and dominator analyses are then stale).
bool versionCountedLoops(llvm::Function &fn, llvm::LoopInfo &loops, llvm::DominatorTree &dom,
                         llvm::ScalarEvolution &scev, RuntimeApi &api,
                         const llvm::SmallPtrSetImpl<llvm::Instruction *> &nontemporal,
                         llvm::SmallPtrSetImpl<llvm::Instruction *> &done);

// Whether INST's pointer is invariant in, or an affine function of the iteration of, its
// innermost loop (the accesses loop chunking can serve from a cached window).
bool hasAffinePointer(llvm::Instruction &inst, llvm::LoopInfo &loops, llvm::ScalarEvolution &scev);

} // namespace farpass

#endif
