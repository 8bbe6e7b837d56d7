// In a loop holding a scope, the far object its barriers last reached is remembered across the
// loop's regions and iterations: its far bounds (from the address's size class: objects are 2^c
// bytes, aligned), the offset from far to local addresses, whether the barrier was a write, and
// the loop's scope generation. A later barrier of the loop whose bytes lie in that object, in the
// same generation (so the loop's scope has been held throughout, and the object cannot have
// moved), and that reads or follows a write barrier, uses that offset: a range check instead of
// the class arithmetic, the object-table load and the entry test. Pointer chases profit where one
// iteration's object is the next one's first access, e.g. `slot = &(*slot)->left` in a tree insert
// (tests/programs/bst.c) or `link = &(*link)->next`, and accesses of one object split over regions
// (a read, then a write in a branch). Loop chunking (loop_chunks.h) does the same per access with
// 256-byte windows for invariant and affine pointers. -farpass-loop-objects=0 turns it off.
#ifndef FARPASS_IR_LOOP_OBJECTS_H
#define FARPASS_IR_LOOP_OBJECTS_H

#include "loop_scopes.h"
#include "regions.h"
#include "runtime_api.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/IRBuilder.h"

#include <vector>

namespace farpass {

bool loopObjectsEnabled();

// Which groups of REGIONS check the remembered object and which remember theirs: a group checks
// when an earlier group of its loop (dominating it) has the same underlying pointer, or when its
// pointer is a loop-carried phi whose value from the previous iteration derives from a group's
// pointer; those groups remember. Others keep the plain barrier: a check that cannot hit, or a
// remembered object nobody checks, would only add instructions.
void planLoopObjects(std::vector<Region> &regions, const llvm::LoopInfo &loops,
                     const llvm::DominatorTree &tree);

class LoopObjects {
public:
  LoopObjects(llvm::Function &fn, RuntimeApi &api);
  // i1: [p, end) lies in the object LOOP last barriered, in its current generation, and the
  // barrier was a write if WRITE is.
  llvm::Value *hits(llvm::IRBuilder<> &b, const LoopScope &loop, llvm::Value *p, llvm::Value *end,
                    bool write);
  // The far-to-local offset of the remembered object (valid when hits() is true).
  llvm::Value *delta(llvm::IRBuilder<> &b, const LoopScope &loop);
  // After a barrier of [p, end) that returned LOCAL: remember its object (if [p, end) lies in one).
  void remember(llvm::IRBuilder<> &b, const LoopScope &loop, llvm::Value *p, llvm::Value *end,
                llvm::Value *local, bool write);

private:
  struct Cache {
    llvm::AllocaInst *lo, *hi, *delta, *generation, *writable;
  };
  Cache &cacheFor(const LoopScope &loop);

  RuntimeApi &api;
  llvm::IRBuilder<> entry;
  llvm::DenseMap<llvm::AllocaInst *, Cache> caches; // by the loop's held flag
};

} // namespace farpass

#endif
