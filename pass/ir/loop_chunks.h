// Loop chunking: inside a loop that holds a scope (loop_scopes.h), each plain load or store
// remembers the 256-byte window of the far object it last used and that window's local address,
// so a sequential scan takes one barrier per window instead of one per element (TrackFM's "one
// check per object boundary", with a bounded window). A cached address is used only while the
// loop's scope generation is the one it was taken in.
#ifndef FARPASS_IR_LOOP_CHUNKS_H
#define FARPASS_IR_LOOP_CHUNKS_H

#include "loop_scopes.h"

#include "llvm/ADT/SmallPtrSet.h"

namespace farpass {

// Instruments the plain accesses of the loops in LOOPS whose pointers are in AFFINE (invariant in
// or affine in their loop: a pointer chased through memory would miss its cache every time and
// is better served by a region barrier) and adds them to DONE.
void chunkLoopAccesses(llvm::Function &fn, const LoopScopeFlags &loops, RuntimeApi &api,
                       const llvm::SmallPtrSetImpl<llvm::Instruction *> &nontemporal,
                       const llvm::SmallPtrSetImpl<llvm::Instruction *> &affine,
                       llvm::SmallPtrSetImpl<llvm::Instruction *> &done);

} // namespace farpass

#endif
