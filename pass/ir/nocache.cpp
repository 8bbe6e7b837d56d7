// Resolves don't-cache markers: each marker call is replaced by its argument, and the accesses
// that use its result (through casts and address arithmetic) are recorded as non-temporal.
#include "nocache.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"

using namespace llvm;

namespace farpass {

static void collectAccesses(Value *pointer, SmallPtrSetImpl<Instruction *> &marked) {
  for (User *user : pointer->users()) {
    auto *inst = dyn_cast<Instruction>(user);
    if (!inst) continue;
    if (isa<LoadInst>(inst) || isa<StoreInst>(inst) || isa<AtomicRMWInst>(inst) ||
        isa<AtomicCmpXchgInst>(inst) || isa<MemIntrinsic>(inst))
      marked.insert(inst);
    else if (isa<BitCastInst>(inst) || isa<GetElementPtrInst>(inst))
      collectAccesses(inst, marked);
  }
}

void removeNoCacheMarks(Function &fn, SmallPtrSetImpl<Instruction *> &marked) {
  SmallVector<CallInst *, 4> marks;
  for (Instruction &inst : instructions(fn))
    if (auto *call = dyn_cast<CallInst>(&inst))
      if (Function *callee = call->getCalledFunction())
        if (callee->getName() == kNoCacheMark) marks.push_back(call);
  for (CallInst *call : marks) {
    collectAccesses(call, marked);
    IRBuilder<> builder(call);
    call->replaceAllUsesWith(builder.CreatePointerCast(call->getArgOperand(0), call->getType()));
    call->eraseFromParent();
  }
}

} // namespace farpass
