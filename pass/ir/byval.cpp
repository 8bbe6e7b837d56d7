// Makes by-value argument copies from possibly far sources explicit (see byval.h).
#include "byval.h"

#include "barriers.h"
#include "locality.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"

using namespace llvm;

namespace farpass {

static bool copyFarByvalArgs(CallBase &call, IRBuilder<> &entry) {
  bool changed = false;
  const DataLayout &layout = call.getModule()->getDataLayout();
  for (unsigned i = 0; i < call.arg_size(); i++) {
    Type *type = call.getParamByValType(i);
    Value *source = call.getArgOperand(i);
    if (!type || isProvablyLocal(source)) continue;
    AllocaInst *copy = entry.CreateAlloca(type, nullptr, "far.byval");
    MaybeAlign align = call.getParamAlign(i);
    copy->setAlignment(align.valueOrOne());
    IRBuilder<> before(&call);
    before.CreateMemCpy(copy, align, source, align, layout.getTypeAllocSize(type).getFixedSize());
    call.setArgOperand(i, copy);
    changed = true;
  }
  return changed;
}

PreservedAnalyses ByvalCopyPass::run(Function &fn, FunctionAnalysisManager &) {
  if (!isInstrumentable(fn)) return PreservedAnalyses::all();
  IRBuilder<> entry(&*fn.getEntryBlock().getFirstInsertionPt());
  bool changed = false;
  for (Instruction &inst : instructions(fn))
    if (auto *call = dyn_cast<CallBase>(&inst)) changed |= copyFarByvalArgs(*call, entry);
  return changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
}

} // namespace farpass
