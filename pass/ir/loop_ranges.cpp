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
#include "loop_calls.h"

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
// for it (every iteration is call-free code). A loop with other far accesses, whose barriers may
// miss and wait for the server, holds it for kIterationsPerScope at most, as a loop scope does:
// otherwise its misses pile up beyond the local budget while the evacuator waits.
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

// Computed once before the loop: its iteration count and each access's first address and count.
struct Totals {
  Value *n;
  std::vector<Value *> starts, counts;
};

// What the check computes for one chunk of iterations.
struct Chunk {
  Value *length = nullptr; // iterations in the chunk (K)
  Value *ok = nullptr, *anyFar = nullptr;
  std::vector<Value *> lo, bytes, far; // per access
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
    bool strips = canStripMine(loop);
    uint64_t maxIterations = hasOtherFarAccesses(loop, accesses) ? kIterationsPerScope : kMaxIterations;
    report(loop, accesses.size(), strips, maxIterations);
    formLCSSA(loop, dom, &loops, &scev);
    BasicBlock *setup = loop.getLoopPreheader(), *header = loop.getHeader();
    BasicBlock *check = SplitBlock(setup, setup->getTerminator(), &dom, &loops, nullptr, "far.range.check");
    BasicBlock *fastPre = SplitBlock(check, check->getTerminator(), &dom, &loops, nullptr, "far.range.ph");
    IRBuilder<> atCheck(check->getTerminator());
    SmallVector<PHINode *, 4> state; // the header phis' values at the start of a chunk
    PHINode *doneSoFar = strips ? addChunkState(atCheck, header, setup, fastPre, state) : nullptr;
    IRBuilder<> atSetup(setup->getTerminator());
    Totals totals = computeTotals(atSetup, loop, accesses);
    Chunk chunk = computeChunk(atCheck, accesses, totals,
                               strips ? (Value *)doneSoFar : atCheck.getInt64(0), strips, maxIterations);
    addSlowCopy(loop, check, fastPre, chunk.ok);
    BasicBlock *exit = loop.getExitBlock();
    DebugLoc where = RuntimeApi::locationNear(accesses.front().inst);
    if (strips) endChunks(loop, header, exit, check, totals.n, chunk, doneSoFar, state, where);
    enterAndRewrite(fastPre, accesses, chunk, where);
    if (!strips) leaveScopeIf(chunk.anyFar, &*exit->getFirstInsertionPt(), where, &loops);
    scev.forgetLoop(&loop);
    return true;
  }

private:
  // Strip-mining adds its chunk end to the exit test, which must then be in a header without
  // side effects (it runs again at the start of the next chunk).
  static bool canStripMine(const Loop &loop) {
    BasicBlock *header = loop.getHeader();
    return loop.getExitingBlock() == header && header != loop.getLoopLatch() &&
           llvm::none_of(*header, [](Instruction &inst) { return inst.mayWriteToMemory(); });
  }

  // The outer loop's state in the check block: iterations done, and the header phis' values at
  // the start of a chunk (STATE), which the fast and the slow loop now start from.
  PHINode *addChunkState(IRBuilder<> &atCheck, BasicBlock *header, BasicBlock *setup,
                         BasicBlock *fastPre, SmallVectorImpl<PHINode *> &state) {
    PHINode *doneSoFar = atCheck.CreatePHI(atCheck.getInt64Ty(), 2, "far.range.done");
    doneSoFar->addIncoming(atCheck.getInt64(0), setup);
    for (PHINode &phi : header->phis()) {
      PHINode *start = atCheck.CreatePHI(phi.getType(), 2, "far.range.state");
      start->addIncoming(phi.getIncomingValueForBlock(fastPre), setup);
      phi.setIncomingValueForBlock(fastPre, start);
      state.push_back(start);
    }
    return doneSoFar;
  }

  // Before the fast loop: if any range is far, enter a scope and take each range's barrier; the
  // accesses then go through p + delta.
  void enterAndRewrite(BasicBlock *fastPre, ArrayRef<RangeAccess> accesses, const Chunk &chunk,
                       const DebugLoc &where) {
    unsigned site = api.nextSite(accesses.front().inst);
    Instruction *enterEnd = SplitBlockAndInsertIfThen(chunk.anyFar, fastPre->getTerminator(), false,
                                                      nullptr, &dom, &loops);
    IRBuilder<> enter(enterEnd);
    enter.SetCurrentDebugLocation(where);
    enter.CreateCall(api.scopeEnter, {ConstantInt::get(api.siteTy, site)});
    IRBuilder<> join(enterEnd->getSuccessor(0)->getTerminator());
    for (size_t i = 0; i < accesses.size(); i++)
      rewrite(accesses[i], rangeDelta(enter, join, accesses[i], chunk, i, site));
  }

  bool isEligible(const Loop &loop) {
    if (!loop.isInnermost() || !loop.getLoopPreheader() || !loop.getLoopLatch() ||
        !loop.getExitingBlock() || !loop.getExitBlock() || !loop.hasDedicatedExits())
      return false;
    auto *exitBranch = dyn_cast<BranchInst>(loop.getExitingBlock()->getTerminator());
    if (!exitBranch || !exitBranch->isConditional() ||
        exitBranch->getSuccessor(0) == exitBranch->getSuccessor(1) ||
        !isa<BranchInst>(loop.getLoopLatch()->getTerminator()))
      return false;
    if (!isCallFree(loop)) return false;
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

  // Whether INST may access memory through a pointer that may be far: a barrier that can miss.
  // A load or store through its address (not a pointer it stores); any other instruction that
  // touches memory (atomics, memory intrinsics) through any pointer operand.
  static bool mayAccessFar(const Instruction &inst) {
    if (const Value *address = getLoadStorePointerOperand(&inst)) return !isProvablyLocal(address);
    return inst.mayReadOrWriteMemory() && llvm::any_of(inst.operand_values(), [](const Value *v) {
             return v->getType()->isPointerTy() && !isProvablyLocal(v);
           });
  }

  // Whether the loop accesses memory outside ACCESSES through a pointer that may be far.
  static bool hasOtherFarAccesses(const Loop &loop, ArrayRef<RangeAccess> accesses) {
    SmallPtrSet<const Instruction *, 8> covered;
    for (const RangeAccess &access : accesses) covered.insert(access.inst);
    for (BasicBlock *block : loop.blocks())
      for (Instruction &inst : *block)
        if (!covered.count(&inst) && mayAccessFar(inst)) return true;
    return false;
  }

  Totals computeTotals(IRBuilder<> &b, const Loop &loop, ArrayRef<RangeAccess> accesses) {
    Instruction *at = &*b.GetInsertPoint();
    const SCEV *takenS = scev.getBackedgeTakenCount(&loop);
    Value *taken = b.CreateZExtOrTrunc(expander.expandCodeFor(takenS, takenS->getType(), at),
                                       b.getInt64Ty(), "far.range.taken");
    Totals totals{b.CreateAdd(taken, b.getInt64(1), "far.range.n"), {}, {}};
    for (const RangeAccess &access : accesses) {
      totals.starts.push_back(b.CreatePtrToInt(
          expander.expandCodeFor(access.where.start, access.where.start->getType(), at), api.sizeTy));
      totals.counts.push_back(access.beforeExitTest ? totals.n : taken);
    }
    return totals;
  }

  // The chunk starting after DONE completed iterations. With STRIPS, K further iterations, as many
  // as keep every far access inside its current object (at most MAX): the header (the exit test)
  // runs K + 1 times, the rest of the body K times. Without, the whole loop (if it runs at most MAX).
  Chunk computeChunk(IRBuilder<> &b, ArrayRef<RangeAccess> accesses, const Totals &totals,
                     Value *doneSoFar, bool strips, uint64_t max) {
    Chunk chunk;
    std::vector<Value *> first;
    Value *remaining = b.CreateSub(b.CreateSub(totals.n, b.getInt64(1)), doneSoFar); // back-edges
    Value *length = b.CreateBinaryIntrinsic(Intrinsic::umin, remaining, b.getInt64(max));
    Value *stuck = b.getFalse(); // some first access straddles its object: no fast chunk
    for (size_t i = 0; i < accesses.size(); i++) {
      first.push_back(b.CreateAdd(totals.starts[i], b.CreateMul(doneSoFar, b.getInt64(accesses[i].where.step))));
      if (!strips) continue;
      Value *fit = iterationsInObject(b, accesses[i], first[i]);
      if (accesses[i].beforeExitTest) {
        stuck = b.CreateOr(stuck, b.CreateICmpEQ(fit, b.getInt64(0)));
        fit = b.CreateSub(fit, b.getInt64(1)); // wraps when stuck: then unused
      }
      length = b.CreateBinaryIntrinsic(Intrinsic::umin, length, fit);
    }
    chunk.length = strips ? length : nullptr;
    Value *progress = b.CreateOr(b.CreateICmpNE(length, b.getInt64(0)), b.CreateICmpEQ(remaining, b.getInt64(0)));
    chunk.ok = strips ? b.CreateAnd(b.CreateNot(stuck), progress)
                      : b.CreateICmpULE(totals.n, b.getInt64(max));
    chunk.anyFar = b.getFalse();
    for (size_t i = 0; i < accesses.size(); i++) {
      Value *count = !strips ? totals.counts[i]
                     : accesses[i].beforeExitTest ? b.CreateAdd(length, b.getInt64(1)) : length;
      addRange(b, accesses[i], first[i], count, chunk);
    }
    return chunk;
  }

  // How many iterations, from the one at FIRST, keep ACCESS inside FIRST's far object (0 if the
  // first one straddles its end); unlimited for an address that is not far.
  Value *iterationsInObject(IRBuilder<> &b, const RangeAccess &access, Value *first) {
    int64_t step = access.where.step;
    Value *objectLast = b.CreateOr(first, b.CreateSub(objectSize(b, first), b.getInt64(1)));
    Value *objectFirst = b.CreateAnd(first, b.CreateNeg(objectSize(b, first)));
    Value *firstEnd = b.CreateAdd(first, b.getInt64(access.size - 1));
    Value *fits = b.CreateICmpULE(firstEnd, objectLast);
    Value *more = step > 0   ? b.CreateUDiv(b.CreateSub(objectLast, firstEnd), b.getInt64(step))
                  : step < 0 ? b.CreateUDiv(b.CreateSub(first, objectFirst), b.getInt64(-step))
                             : b.getInt64(kMaxIterations);
    Value *inObject = b.CreateSelect(fits, b.CreateAdd(more, b.getInt64(1)), b.getInt64(0));
    return b.CreateSelect(isFar(b, first), inObject, b.getInt64(kMaxIterations));
  }

  Value *objectSize(IRBuilder<> &b, Value *address) {
    return b.CreateShl(b.getInt64(1), RuntimeApi::sizeClass(b, address));
  }

  Value *isFar(IRBuilder<> &b, Value *address) {
    return b.CreateICmpEQ(b.CreateLShr(address, kFarTagShift), b.getInt64(kFarTag));
  }

  // The range ACCESS covers in COUNT iterations from FIRST, and whether it is usable: not far at
  // all, or inside one far object (or empty).
  void addRange(IRBuilder<> &b, const RangeAccess &access, Value *first, Value *count, Chunk &chunk) {
    Value *span = b.CreateMul(b.CreateSub(count, b.getInt64(1)), b.getInt64(access.where.step));
    Value *lo = access.where.step < 0 ? b.CreateAdd(first, span) : first;
    Value *last = b.CreateAdd(access.where.step < 0 ? first : b.CreateAdd(first, span),
                              b.getInt64(access.size - 1));
    Value *tag = b.CreateLShr(lo, kFarTagShift);
    Value *far = isFar(b, lo);
    Value *local = b.CreateAnd(b.CreateICmpEQ(tag, b.CreateLShr(last, kFarTagShift)), b.CreateNot(far));
    Value *cls = RuntimeApi::sizeClass(b, lo);
    Value *oneObject = b.CreateAnd(far, b.CreateICmpEQ(b.CreateLShr(b.CreateXor(lo, last), cls), b.getInt64(0)));
    Value *active = b.CreateICmpNE(count, b.getInt64(0));
    chunk.ok = b.CreateAnd(chunk.ok, b.CreateOr(b.CreateNot(active), b.CreateOr(local, oneObject)));
    chunk.far.push_back(b.CreateAnd(active, far, "far.range.far"));
    chunk.anyFar = b.CreateOr(chunk.anyFar, chunk.far.back());
    chunk.lo.push_back(lo);
    chunk.bytes.push_back(b.CreateAdd(b.CreateSub(last, lo), b.getInt64(1)));
  }

  // Strip-mining: the exit test in the header also leaves after the chunk's K iterations, into a
  // block (the loop's only exit) that leaves the chunk's scope and then goes on to the old exit
  // or, if the loop is not done, back to the check with the header phis' current values (the
  // header has no side effects, so running it again there is harmless). One exit with a count
  // ScalarEvolution can compute (the smaller of the two) keeps the loop vectorisable.
  void endChunks(Loop &loop, BasicBlock *header, BasicBlock *exit, BasicBlock *check, Value *n,
                 const Chunk &chunk, PHINode *doneSoFar, ArrayRef<PHINode *> state,
                 const DebugLoc &where) {
    PHINode *iteration = countIterations(loop, header);
    BasicBlock *out = BasicBlock::Create(header->getContext(), "far.range.out", header->getParent(), exit);
    auto *test = cast<BranchInst>(header->getTerminator());
    bool exitsOnTrue = test->getSuccessor(0) == exit;
    IRBuilder<> b(test);
    Value *natural = exitsOnTrue ? test->getCondition() : b.CreateNot(test->getCondition());
    Value *leave = b.CreateOr(natural, b.CreateICmpEQ(iteration, chunk.length), "far.range.leave");
    test->setCondition(exitsOnTrue ? leave : b.CreateNot(leave));
    test->setSuccessor(exitsOnTrue ? 0 : 1, out);
    for (PHINode &phi : exit->phis()) phi.replaceIncomingBlockWith(header, out);
    BasicBlock *resume = BasicBlock::Create(header->getContext(), "far.range.resume", header->getParent(), exit);
    IRBuilder<> atResume(resume);
    doneSoFar->addIncoming(atResume.CreateAdd(doneSoFar, chunk.length), resume);
    atResume.CreateBr(check);
    for (size_t j = 0; j < state.size(); j++) // the header phis after the counter, in order
      state[j]->addIncoming(&*std::next(header->phis().begin(), j + 1), resume);
    // Done when all n - 1 back-edges are taken: recomputed from the iteration count, since the exit
    // test's own value used outside the loop would keep it from vectorising.
    IRBuilder<> atOut(out);
    Value *finished = atOut.CreateICmpEQ(atOut.CreateAdd(doneSoFar, iteration),
                                         atOut.CreateSub(n, atOut.getInt64(1)), "far.range.finished");
    BranchInst *dispatch = atOut.CreateCondBr(finished, exit, resume);
    if (Loop *parent = loop.getParentLoop()) {
      parent->addBasicBlockToLoop(out, loops);
      parent->addBasicBlockToLoop(resume, loops);
    }
    leaveScopeIf(chunk.anyFar, dispatch, where, &loops);
    dom.recalculate(*header->getParent());
  }

  // A counter of the chunk's completed iterations, as the header's first phi.
  PHINode *countIterations(Loop &loop, BasicBlock *header) {
    PHINode *iteration = PHINode::Create(api.sizeTy, 2, "far.range.iter", &header->front());
    IRBuilder<> atLatch(loop.getLoopLatch()->getTerminator());
    iteration->addIncoming(atLatch.getInt64(0), loop.getLoopPreheader());
    iteration->addIncoming(atLatch.CreateAdd(iteration, atLatch.getInt64(1)), loop.getLoopLatch());
    return iteration;
  }

  void leaveScopeIf(Value *held, Instruction *at, const DebugLoc &where, LoopInfo *li) {
    IRBuilder<> leave(SplitBlockAndInsertIfThen(held, at, false, nullptr, &dom, li));
    leave.SetCurrentDebugLocation(where);
    leave.CreateCall(api.scopeExit);
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

  // In the far branch before the loop: the barrier for access I's range; at JOIN, the offset from
  // far to local addresses (0 when the range is not far).
  Value *rangeDelta(IRBuilder<> &enter, IRBuilder<> &join, const RangeAccess &access,
                    const Chunk &chunk, size_t i, unsigned site) {
    Value *from = enter.CreateSelect(chunk.far[i], enter.CreateIntToPtr(chunk.lo[i], api.bytePtr),
                                     ConstantPointerNull::get(cast<PointerType>(api.bytePtr)));
    Value *local = enter.CreateCall(api.barrier(access.write, access.nontemporal),
                                    {from, chunk.bytes[i], ConstantInt::get(api.siteTy, site)});
    Value *delta = enter.CreateSelect(
        chunk.far[i], enter.CreateSub(enter.CreatePtrToInt(local, api.sizeTy), chunk.lo[i]),
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

  void report(const Loop &loop, size_t count, bool strips, uint64_t maxIterations) {
    remarks.emit([&] {
      return OptimizationRemark("farpass", "LoopRange", loop.getStartLoc(), loop.getHeader())
             << "counted loop versioned: " << ore::NV("Accesses", (unsigned)count)
             << " access(es) take one barrier each before "
             << (strips ? "each chunk of iterations that stays inside their far objects"
                        : "the loop when their ranges are local or in one far object")
             << " (at most " << ore::NV("Iterations", maxIterations) << " iterations)";
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
