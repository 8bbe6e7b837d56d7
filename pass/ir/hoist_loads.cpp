// Hoists loop-invariant far loads out of call-free innermost loops (see hoist_loads.h).
#include "hoist_loads.h"

#include "locality.h"
#include "loop_calls.h"

#include "llvm/Analysis/AliasAnalysis.h"
#include "llvm/Analysis/AssumptionCache.h"
#include "llvm/Analysis/InstructionSimplify.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/MustExecute.h"
#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/Analysis/TargetLibraryInfo.h"
#include "llvm/Analysis/TargetTransformInfo.h"
#include "llvm/IR/Dominators.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Transforms/Utils/LoopRotationUtils.h"

using namespace llvm;

namespace farpass {
namespace {

cl::opt<bool> enabled("farpass-hoist", cl::init(true),
                      cl::desc("farpass: hoist loop-invariant far loads before instrumenting"));

// Instructions the rotation may copy from the header into the preheader (LoopRotate's default).
constexpr unsigned kMaxHeaderCopy = 16;

// A pointer that is invariant in LOOP or computed in it from invariant operands only.
bool isInvariantPointer(Value *pointer, const Loop &loop) {
  if (loop.isLoopInvariant(pointer)) return true;
  auto *inst = dyn_cast<Instruction>(pointer);
  if (!inst || !(isa<GetElementPtrInst>(inst) || isa<CastInst>(inst))) return false;
  return llvm::all_of(inst->operands(), [&](Value *v) { return isInvariantPointer(v, loop); });
}

class Hoister {
public:
  Hoister(Function &fn, FunctionAnalysisManager &analyses)
      : loops(analyses.getResult<LoopAnalysis>(fn)),
        tree(analyses.getResult<DominatorTreeAnalysis>(fn)),
        scev(analyses.getResult<ScalarEvolutionAnalysis>(fn)), aa(analyses.getResult<AAManager>(fn)),
        tti(analyses.getResult<TargetIRAnalysis>(fn)), assumptions(analyses.getResult<AssumptionAnalysis>(fn)),
        query(fn.getParent()->getDataLayout(), &analyses.getResult<TargetLibraryAnalysis>(fn), &tree,
              &assumptions),
        remarks(&fn) {}

  bool run() {
    SmallVector<Loop *, 8> innermost;
    for (Loop *loop : loops.getLoopsInPreorder())
      if (loop->isInnermost() && loop->isLoopSimplifyForm() && isCallFree(*loop))
        innermost.push_back(loop);
    bool changed = false;
    for (Loop *loop : innermost) changed |= hoistFrom(*loop);
    return changed;
  }

private:
  // A load that reads the same bytes on every iteration: no instruction of the loop may write them.
  bool isInvariantLoad(Instruction &inst, const Loop &loop) {
    auto *load = dyn_cast<LoadInst>(&inst);
    if (!load || !load->isSimple() || isProvablyLocal(load->getPointerOperand()) ||
        !isInvariantPointer(load->getPointerOperand(), loop))
      return false;
    MemoryLocation bytes = MemoryLocation::get(load);
    for (BasicBlock *block : loop.blocks())
      for (Instruction &other : *block)
        if (other.mayWriteToMemory() && isModSet(aa.getModRefInfo(&other, bytes))) return false;
    return true;
  }

  SmallVector<LoadInst *, 4> invariantLoads(const Loop &loop) {
    SmallVector<LoadInst *, 4> found;
    for (BasicBlock *block : loop.blocks())
      for (Instruction &inst : *block)
        if (isInvariantLoad(inst, loop)) found.push_back(cast<LoadInst>(&inst));
    return found;
  }

  // Rotation moves the exit test to the latch, so the body runs on every iteration. Counted loops
  // with the test in the header keep their shape: loop_ranges strip-mines exactly those.
  bool rotateFor(Loop &loop, ArrayRef<LoadInst *> found) {
    SimpleLoopSafetyInfo safety;
    safety.computeLoopSafetyInfo(&loop);
    if (llvm::all_of(found, [&](LoadInst *l) { return safety.isGuaranteedToExecute(*l, &tree, &loop); }))
      return false;
    bool counted = !isa<SCEVCouldNotCompute>(scev.getBackedgeTakenCount(&loop));
    if (counted && loop.isLoopExiting(loop.getHeader())) return false;
    return LoopRotation(&loop, &loops, &tti, &assumptions, &tree, &scev, nullptr, query,
                        /*RotationOnly=*/true, kMaxHeaderCopy, /*IsUtilMode=*/false);
  }

  bool hoistFrom(Loop &loop) {
    SmallVector<LoadInst *, 4> found = invariantLoads(loop);
    if (found.empty()) return false;
    bool changed = rotateFor(loop, found);
    for (bool again = true; again;) { // a hoisted load can make another load's pointer invariant
      again = false;
      SimpleLoopSafetyInfo safety;
      safety.computeLoopSafetyInfo(&loop);
      for (LoadInst *load : invariantLoads(loop)) {
        bool moved = false;
        if (!safety.isGuaranteedToExecute(*load, &tree, &loop) ||
            !loop.makeLoopInvariant(load->getPointerOperand(), moved))
          continue;
        load->moveBefore(loop.getLoopPreheader()->getTerminator());
        report(*load);
        changed = again = true;
      }
    }
    if (changed) scev.forgetLoop(&loop);
    return changed;
  }

  void report(LoadInst &load) {
    remarks.emit([&] {
      return OptimizationRemark("farpass", "Hoist", &load) << "loop-invariant far load hoisted out of its loop";
    });
  }

  LoopInfo &loops;
  DominatorTree &tree;
  ScalarEvolution &scev;
  AAResults &aa;
  TargetTransformInfo &tti;
  AssumptionCache &assumptions;
  SimplifyQuery query;
  OptimizationRemarkEmitter remarks;
};

} // namespace

PreservedAnalyses HoistLoadsPass::run(Function &fn, FunctionAnalysisManager &analyses) {
  if (!enabled || fn.isDeclaration() || fn.hasFnAttribute(Attribute::DisableSanitizerInstrumentation))
    return PreservedAnalyses::all();
  return Hoister(fn, analyses).run() ? PreservedAnalyses::none() : PreservedAnalyses::all();
}

} // namespace farpass
