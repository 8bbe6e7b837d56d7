// Loop versioning for range barriers (see loop_ranges.h). With n = the loop's iteration count:
//   check:   for each access i, executed m_i = n or n - 1 times at start_i + k * step_i:
//              lo_i, last_i = the first and last byte it touches over the whole loop
//              ok_i = m_i == 0 || (lo_i and last_i share a top byte that is not the far tag)
//                              || (far(lo_i) && lo_i and last_i lie in one far object)
//            if (n <= kMaxIterations && every ok_i) goto fast.ph; else goto slow.ph (the copy)
//   fast.ph: if (any far_i) { far_scope_enter(site);
//                             delta_i = barrier(far_i ? lo_i : NULL, last_i - lo_i + 1) - lo_i }
//   fast loop: access i goes through p_i + delta_i (delta_i = 0 when it is not far)
//   fast exit: if (any far_i) far_scope_exit();
// Both copies get dedicated exit blocks, so the later loop instrumentation applies to each.
#include "loop_ranges.h"

#include "locality.h"

#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/Analysis/ScalarEvolutionExpressions.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/LoopUtils.h"
#include "llvm/Transforms/Utils/ScalarEvolutionExpander.h"

using namespace llvm;

namespace farpass {
namespace {

// For measuring what versioning saves: -farpass-loop-ranges=0 turns it off.
cl::opt<bool> loopRanges("farpass-loop-ranges", cl::init(true),
                         cl::desc("farpass: version counted loops with range barriers"));

// For measuring what restricting chunking to affine pointers saves: -farpass-chunk-all chunks
// every plain access of a loop holding a scope.
cl::opt<bool> chunkAll("farpass-chunk-all", cl::init(false),
                       cl::desc("farpass: loop chunking also for pointers not affine in the loop"));

// The most iterations a loop may run holding one scope: bounds how long the evacuator can wait
// for it (every iteration is call-free code).
constexpr uint64_t kMaxIterations = 1 << 16;
constexpr int64_t kMaxStep = 1 << 20;

// The address of an access in iteration k: start + k * step.
struct Affine {
  const SCEV *start;
  int64_t step;
};

Optional<Affine> affineIn(Value *pointer, const Loop &loop, ScalarEvolution &scev) {
  const SCEV *s = scev.getSCEV(pointer);
  if (scev.isLoopInvariant(s, &loop)) return Affine{s, 0};
  auto *rec = dyn_cast<SCEVAddRecExpr>(s);
  if (!rec || rec->getLoop() != &loop || !rec->isAffine()) return None;
  auto *step = dyn_cast<SCEVConstant>(rec->getStepRecurrence(scev));
  if (!step || step->getAPInt().getMinSignedBits() > 32) return None;
  int64_t value = step->getAPInt().getSExtValue();
  if (value > kMaxStep || value < -kMaxStep) return None;
  return Affine{rec->getStart(), value};
}

struct RangeAccess {
  Instruction *inst;
  unsigned operand;
  Affine where;
  uint64_t size;
  bool write, nontemporal;
  bool beforeExitTest; // runs n times; otherwise n - 1
};

// The values the check computes for one access.
struct Range {
  Value *lo, *length, *far;
};

class Versioner {
public:
  Versioner(Function &fn, LoopInfo &loops, DominatorTree &dom, ScalarEvolution &scev,
            RuntimeApi &api, const SmallPtrSetImpl<Instruction *> &nontemporal,
            SmallPtrSetImpl<Instruction *> &done)
      : loops(loops), dom(dom), scev(scev), api(api), nontemporal(nontemporal), done(done),
        expander(scev, fn.getParent()->getDataLayout(), "far.range"), remarks(&fn) {}

  bool version(Loop &loop) {
    SmallVector<RangeAccess, 8> accesses;
    if (!isEligible(loop) || !collect(loop, accesses)) return false;
    report(loop, accesses.size());
    formLCSSA(loop, dom, &loops, &scev);
    BasicBlock *check = loop.getLoopPreheader();
    BasicBlock *fastPre = SplitBlock(check, check->getTerminator(), &dom, &loops, nullptr, "far.range.ph");
    IRBuilder<> b(check->getTerminator());
    Value *ok = nullptr, *anyFar = b.getFalse();
    std::vector<Range> ranges = computeRanges(b, loop, accesses, ok, anyFar);
    addSlowCopy(loop, check, fastPre, ok);
    DebugLoc where = RuntimeApi::locationNear(accesses.front().inst);
    unsigned site = api.nextSite(accesses.front().inst);
    Instruction *enterEnd = SplitBlockAndInsertIfThen(anyFar, fastPre->getTerminator(), false,
                                                      nullptr, &dom, &loops);
    IRBuilder<> enter(enterEnd);
    enter.SetCurrentDebugLocation(where);
    enter.CreateCall(api.scopeEnter, {ConstantInt::get(api.siteTy, site)});
    IRBuilder<> join(enterEnd->getSuccessor(0)->getTerminator());
    for (size_t i = 0; i < accesses.size(); i++)
      rewrite(accesses[i], rangeDelta(enter, join, accesses[i], ranges[i], site));
    IRBuilder<> leave(SplitBlockAndInsertIfThen(anyFar, &*loop.getExitBlock()->getFirstInsertionPt(),
                                                false, nullptr, &dom, &loops));
    leave.SetCurrentDebugLocation(where);
    leave.CreateCall(api.scopeExit);
    scev.forgetLoop(&loop);
    return true;
  }

private:
  bool isEligible(const Loop &loop) {
    if (!loop.isInnermost() || !loop.getLoopPreheader() || !loop.getLoopLatch() ||
        !loop.getExitingBlock() || !loop.getExitBlock() || !loop.hasDedicatedExits())
      return false;
    auto *exitBranch = dyn_cast<BranchInst>(loop.getExitingBlock()->getTerminator());
    if (!exitBranch || !exitBranch->isConditional() ||
        exitBranch->getSuccessor(0) == exitBranch->getSuccessor(1))
      return false;
    for (BasicBlock *block : loop.blocks())
      for (Instruction &inst : *block)
        if (isa<CallBase>(inst) && !isa<IntrinsicInst>(inst)) return false;
    const SCEV *taken = scev.getBackedgeTakenCount(&loop);
    return !isa<SCEVCouldNotCompute>(taken) && taken->getType()->getIntegerBitWidth() <= 64 &&
           isSafeToExpandAt(taken, loop.getLoopPreheader()->getTerminator(), scev);
  }

  bool collect(const Loop &loop, SmallVectorImpl<RangeAccess> &accesses) {
    const Instruction *at = loop.getLoopPreheader()->getTerminator();
    const DataLayout &layout = at->getModule()->getDataLayout();
    for (BasicBlock *block : loop.blocks()) {
      if (!dom.dominates(block, loop.getLoopLatch())) continue; // not on every iteration
      for (Instruction &inst : *block) {
        Optional<PlainAccess> plain = plainAccess(inst);
        if (!plain) continue;
        Value *pointer = inst.getOperand(plain->operand);
        if (isProvablyLocal(pointer)) continue;
        Optional<Affine> where = affineIn(pointer, loop, scev);
        if (!where || !isSafeToExpandAt(where->start, at, scev)) continue;
        accesses.push_back({&inst, plain->operand, *where,
                            layout.getTypeStoreSize(plain->type).getFixedSize(),
                            isa<StoreInst>(inst), nontemporal.count(&inst) > 0,
                            dom.dominates(block, loop.getExitingBlock())});
      }
    }
    return !accesses.empty();
  }

  std::vector<Range> computeRanges(IRBuilder<> &b, const Loop &loop,
                                   ArrayRef<RangeAccess> accesses, Value *&ok, Value *&anyFar) {
    Instruction *at = &*b.GetInsertPoint();
    const SCEV *takenS = scev.getBackedgeTakenCount(&loop);
    Value *taken = b.CreateZExtOrTrunc(expander.expandCodeFor(takenS, takenS->getType(), at),
                                       b.getInt64Ty(), "far.range.taken");
    Value *n = b.CreateAdd(taken, b.getInt64(1), "far.range.n");
    ok = b.CreateICmpULE(n, b.getInt64(kMaxIterations));
    std::vector<Range> ranges;
    for (const RangeAccess &access : accesses) {
      Value *count = access.beforeExitTest ? n : taken;
      Value *start = b.CreatePtrToInt(
          expander.expandCodeFor(access.where.start, access.where.start->getType(), at), api.sizeTy);
      Value *span = b.CreateMul(b.CreateSub(count, b.getInt64(1)), b.getInt64(access.where.step));
      Value *lo = access.where.step < 0 ? b.CreateAdd(start, span) : start;
      Value *last = b.CreateAdd(access.where.step < 0 ? start : b.CreateAdd(start, span),
                                b.getInt64(access.size - 1));
      Value *tag = b.CreateLShr(lo, kFarTagShift);
      Value *isFar = b.CreateICmpEQ(tag, b.getInt64(kFarTag));
      Value *local = b.CreateAnd(b.CreateICmpEQ(tag, b.CreateLShr(last, kFarTagShift)), b.CreateNot(isFar));
      Value *cls = b.CreateAnd(b.CreateLShr(lo, kFarClassShift), b.getInt64(31));
      Value *oneObject = b.CreateAnd(isFar, b.CreateICmpEQ(b.CreateLShr(b.CreateXor(lo, last), cls), b.getInt64(0)));
      Value *active = b.CreateICmpNE(count, b.getInt64(0));
      ok = b.CreateAnd(ok, b.CreateOr(b.CreateNot(active), b.CreateOr(local, oneObject)));
      Value *far = b.CreateAnd(active, isFar, "far.range.far");
      anyFar = b.CreateOr(anyFar, far);
      ranges.push_back({lo, b.CreateAdd(b.CreateSub(last, lo), b.getInt64(1)), far});
    }
    return ranges;
  }

  // The unchanged copy of LOOP, run when the check fails; both copies leave through dedicated
  // exit blocks that join in the old exit block.
  void addSlowCopy(Loop &loop, BasicBlock *check, BasicBlock *fastPre, Value *ok) {
    BasicBlock *exit = loop.getExitBlock(), *exiting = loop.getExitingBlock();
    ValueToValueMapTy map;
    SmallVector<BasicBlock *, 8> blocks;
    Loop *slow = cloneLoopWithPreheader(fastPre, check, &loop, map, ".far.slow", &loops, &dom, blocks);
    remapInstructionsInBlocks(blocks, map);
    Instruction *branch = check->getTerminator();
    BranchInst::Create(fastPre, cast<BasicBlock>(map[fastPre]), ok, branch);
    branch->eraseFromParent();
    auto *slowExiting = cast<BasicBlock>(map[exiting]);
    for (PHINode &phi : exit->phis()) {
      Value *in = phi.getIncomingValueForBlock(exiting);
      Value *copy = map.lookup(in);
      phi.addIncoming(copy ? copy : in, slowExiting);
    }
    dom.changeImmediateDominator(exit, check);
    formDedicatedExitBlocks(&loop, &dom, &loops, nullptr, true);
    formDedicatedExitBlocks(slow, &dom, &loops, nullptr, true);
  }

  // In the far branch before the loop: the barrier for the whole range; at JOIN, the offset from
  // far to local addresses (0 when the range is not far).
  Value *rangeDelta(IRBuilder<> &enter, IRBuilder<> &join, const RangeAccess &access,
                    const Range &range, unsigned site) {
    Value *from = enter.CreateSelect(range.far, enter.CreateIntToPtr(range.lo, api.bytePtr),
                                     ConstantPointerNull::get(cast<PointerType>(api.bytePtr)));
    Value *local = enter.CreateCall(api.barrier(access.write, access.nontemporal),
                                    {from, range.length, ConstantInt::get(api.siteTy, site)});
    Value *delta = enter.CreateSelect(
        range.far, enter.CreateSub(enter.CreatePtrToInt(local, api.sizeTy), range.lo),
        enter.getInt64(0), "far.range.delta");
    PHINode *phi = join.CreatePHI(api.sizeTy, 2, "far.range.delta");
    phi->addIncoming(delta, enter.GetInsertBlock());
    phi->addIncoming(enter.getInt64(0), enter.GetInsertBlock()->getSinglePredecessor());
    return phi;
  }

  // The access goes through p + delta: a GEP, so the loop stays analysable and vectorisable.
  void rewrite(const RangeAccess &access, Value *delta) {
    IRBuilder<> b(access.inst);
    Value *pointer = access.inst->getOperand(access.operand);
    Value *moved = b.CreateGEP(b.getInt8Ty(), b.CreatePointerCast(pointer, api.bytePtr), delta,
                               "far.range.local");
    access.inst->setOperand(access.operand, b.CreatePointerCast(moved, pointer->getType()));
    done.insert(access.inst);
  }

  void report(const Loop &loop, size_t count) {
    remarks.emit([&] {
      return OptimizationRemark("farpass", "LoopRange", loop.getStartLoc(), loop.getHeader())
             << "counted loop versioned: " << ore::NV("Accesses", (unsigned)count)
             << " access(es) take one barrier each before the loop when their ranges are local "
                "or in one far object";
    });
  }

  LoopInfo &loops;
  DominatorTree &dom;
  ScalarEvolution &scev;
  RuntimeApi &api;
  const SmallPtrSetImpl<Instruction *> &nontemporal;
  SmallPtrSetImpl<Instruction *> &done;
  SCEVExpander expander;
  OptimizationRemarkEmitter remarks;
};

} // namespace

Optional<PlainAccess> plainAccess(Instruction &inst) {
  if (auto *load = dyn_cast<LoadInst>(&inst))
    if (load->isSimple()) return PlainAccess{LoadInst::getPointerOperandIndex(), load->getType()};
  if (auto *store = dyn_cast<StoreInst>(&inst))
    if (store->isSimple())
      return PlainAccess{StoreInst::getPointerOperandIndex(), store->getValueOperand()->getType()};
  return None;
}

bool hasAffinePointer(Instruction &inst, LoopInfo &loops, ScalarEvolution &scev) {
  if (chunkAll) return true;
  Optional<PlainAccess> plain = plainAccess(inst);
  const Loop *loop = loops.getLoopFor(inst.getParent());
  if (!plain || !loop) return false;
  const SCEV *s = scev.getSCEV(inst.getOperand(plain->operand));
  auto *rec = dyn_cast<SCEVAddRecExpr>(s);
  return scev.isLoopInvariant(s, loop) || (rec && rec->getLoop() == loop && rec->isAffine());
}

bool versionCountedLoops(Function &fn, LoopInfo &loops, DominatorTree &dom, ScalarEvolution &scev,
                         RuntimeApi &api, const SmallPtrSetImpl<Instruction *> &nontemporal,
                         SmallPtrSetImpl<Instruction *> &done) {
  if (!loopRanges) return false;
  SmallVector<Loop *, 8> innermost;
  for (Loop *loop : loops.getLoopsInPreorder())
    if (loop->isInnermost()) innermost.push_back(loop);
  Versioner versioner(fn, loops, dom, scev, api, nontemporal, done);
  bool changed = false;
  for (Loop *loop : innermost) changed |= versioner.version(*loop);
  return changed;
}

} // namespace farpass
