// Loop-held scopes (see loop_scopes.h):
//   preheader: held = 0; count = 0; generation++
//   latch:     if (held && ++count == kIterationsPerScope) { far_scope_exit(); held = 0; count = 0;
//                                                          generation++; }
//   exits:     if (held) { far_scope_exit(); held = 0; }
// and each barrier of the loop, in its far branch: if (!held) { far_scope_enter(site); held = 1; }
// (barriers.cpp). The flags live in stack slots that SROA turns into registers.
#include "loop_scopes.h"

#include "loop_calls.h"

#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"

using namespace llvm;

namespace farpass {
namespace {

// The calls a loop scope may span: a `__scope` block's open and close, whose scope only nests in
// it (and whose don't-cache mode ends with the block, see far/farcc.h).
bool isScopeBlockCall(const Instruction &inst) {
  const auto *call = dyn_cast<CallBase>(&inst);
  const Function *callee = call ? call->getCalledFunction() : nullptr;
  return callee &&
         (callee->getName() == "__far_scope_open" || callee->getName() == "__far_scope_close");
}

bool isEligible(const Loop &loop, const SmallPtrSetImpl<const BasicBlock *> &barrierBlocks) {
  if (llvm::none_of(loop.blocks(), [&](BasicBlock *b) { return barrierBlocks.count(b); }))
    return false;
  if (!loop.isInnermost() || !loop.getLoopPreheader() || !loop.getLoopLatch() ||
      !loop.hasDedicatedExits())
    return false;
  for (BasicBlock *block : loop.blocks())
    for (Instruction &inst : *block)
      if (isRealCall(inst) && !isScopeBlockCall(inst)) return false;
  return true;
}

void nextGeneration(IRBuilder<> &b, AllocaInst *generation) {
  b.CreateStore(b.CreateAdd(b.CreateLoad(b.getInt32Ty(), generation), b.getInt32(1)), generation);
}

// if (condition) { far_scope_exit(); held = 0; generation++; } before AT.
void leaveIf(Value *condition, Instruction *at, const LoopScope &scope, RuntimeApi &api,
             const DebugLoc &where) {
  IRBuilder<> leave(SplitBlockAndInsertIfThen(condition, at, false));
  leave.SetCurrentDebugLocation(where);
  leave.CreateCall(api.scopeExit);
  leave.CreateStore(leave.getFalse(), scope.held);
  nextGeneration(leave, scope.generation);
}

void instrument(Loop &loop, const LoopScope &scope, AllocaInst *count, RuntimeApi &api) {
  AllocaInst *held = scope.held;
  DebugLoc where = loop.getStartLoc() ? loop.getStartLoc()
                                       : RuntimeApi::locationNear(loop.getHeader()->getTerminator());
  SmallVector<BasicBlock *, 4> exits; // before the latch is split, which LoopInfo does not see
  loop.getExitBlocks(exits);
  IRBuilder<> preheader(loop.getLoopPreheader()->getTerminator());
  preheader.CreateStore(preheader.getFalse(), held);
  preheader.CreateStore(preheader.getInt32(0), count);
  nextGeneration(preheader, scope.generation);
  Instruction *latchEnd = loop.getLoopLatch()->getTerminator();
  IRBuilder<> latch(latchEnd);
  Value *isHeld = latch.CreateLoad(latch.getInt1Ty(), held);
  Value *next = latch.CreateAdd(latch.CreateLoad(latch.getInt32Ty(), count), latch.getInt32(1));
  Value *safepoint = latch.CreateAnd(isHeld, latch.CreateICmpUGE(next, latch.getInt32(kIterationsPerScope)));
  latch.CreateStore(latch.CreateSelect(safepoint, latch.getInt32(0), next), count);
  leaveIf(safepoint, latchEnd, scope, api, where);
  for (BasicBlock *exit : exits) {
    Instruction *at = &*exit->getFirstInsertionPt();
    leaveIf(IRBuilder<>(at).CreateLoad(Type::getInt1Ty(api.module.getContext()), held), at, scope,
            api, where);
  }
}

} // namespace

LoopScopeFlags holdLoopScopes(Function &fn, LoopInfo &loops, RuntimeApi &api,
                              const SmallPtrSetImpl<const BasicBlock *> &barrierBlocks) {
  LoopScopeFlags flags;
  SmallVector<Loop *, 4> eligible;
  for (Loop *loop : loops.getLoopsInPreorder())
    if (isEligible(*loop, barrierBlocks)) eligible.push_back(loop);
  if (eligible.empty()) return flags;
  IRBuilder<> entry(&*fn.getEntryBlock().getFirstInsertionPt());
  OptimizationRemarkEmitter remarks(&fn);
  for (Loop *loop : eligible) {
    remarks.emit([&] {
      return OptimizationRemark("farpass", "LoopScope", loop->getStartLoc(), loop->getHeader())
             << "loop holds one scope across up to " << ore::NV("Iterations", kIterationsPerScope)
             << " iterations";
    });
    LoopScope scope{entry.CreateAlloca(entry.getInt1Ty(), nullptr, "far.loop.held"),
                    entry.CreateAlloca(entry.getInt32Ty(), nullptr, "far.loop.generation")};
    entry.CreateStore(entry.getInt32(0), scope.generation);
    AllocaInst *count = entry.CreateAlloca(entry.getInt32Ty(), nullptr, "far.loop.count");
    for (BasicBlock *block : loop->blocks()) flags[block] = scope;
    instrument(*loop, scope, count, api);
  }
  return flags;
}

} // namespace farpass
