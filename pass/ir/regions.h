// Barrier regions: maximal call-free stretches of a basic block. Barrier results are used only
// inside their region, and one deref scope covers a region, so evacuation can proceed at every
// call and every loop back-edge (each region ends within its block).
#ifndef FARPASS_IR_REGIONS_H
#define FARPASS_IR_REGIONS_H

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Instructions.h"

#include <vector>

namespace farpass {

// One memory access whose pointer may be far.
struct Access {
  llvm::Instruction *inst;
  unsigned operand;  // index of the pointer operand
  llvm::Value *base; // the pointer with constant offsets stripped
  int64_t offset;    // constant offset of the access from base
  uint64_t size;
  bool write;
  bool nontemporal;
};

// Accesses of one region sharing a base and a small span, served by a single barrier.
struct Group {
  llvm::Value *base;
  int64_t lo, hi;
  bool write, nontemporal;
  std::vector<Access> accesses; // in program order
  const Group *reuses = nullptr;  // an earlier group whose barrier result serves this one
  bool checkObject = false, rememberObject = false; // the loop's last object (loop_objects.h)
  llvm::Value *address = nullptr; // the local address of lo, once emitted
};

struct Region {
  std::vector<Group> groups;    // ordered by their first access
  llvm::Instruction *last;      // the last access of the region
  llvm::AllocaInst *loopHeld = nullptr; // set when the region lies in a loop holding a scope
  llvm::AllocaInst *loopGeneration = nullptr; // that loop's scope generation
};

// NONTEMPORAL: accesses marked by a don't-cache hint; SKIP: accesses instrumented already.
std::vector<Region> findRegions(llvm::Function &fn,
                                const llvm::SmallPtrSetImpl<llvm::Instruction *> &nontemporal,
                                const llvm::SmallPtrSetImpl<llvm::Instruction *> &skip);

} // namespace farpass

#endif
