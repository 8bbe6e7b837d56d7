// Emits the checked barriers of each region:
//   start = base + lo; if (tag(start) == FAR) { if (!entered) far_scope_enter(site);
//                                              local = far_read|write(start, hi - lo, site); }
//   every access of the group then uses local + (offset - lo)
// and after the region's last access: if (entered) far_scope_exit().
// Pointers that are not far (stack, globals, libc heap) pay only the tag test.
#include "barriers.h"

#include "loop_chunks.h"
#include "loop_ranges.h"
#include "loop_scopes.h"
#include "nocache.h"
#include "regions.h"
#include "runtime_api.h"
#include "scope_reuse.h"
#include "site_names.h"

#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Instructions.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"

using namespace llvm;

namespace farpass {
namespace {

// Regions in a loop holding a scope open their own nested scope too (as before 2026-11-27; for
// measuring what leaving it out saves).
cl::opt<bool> nestInLoopScopes("farpass-nest-loop-regions", cl::init(false),
                               cl::desc("farpass: regions nest their own scope in a loop's scope"));

class RegionEmitter {
public:
  RegionEmitter(RuntimeApi &api, OptimizationRemarkEmitter &remarks) : api(api), remarks(remarks) {}

  void emit(Region &region) {
    entered = nullptr;
    loopHeld = region.loopHeld;
    for (Group &group : region.groups)
      if (!group.reuses) emitGroup(group);
    if (entered) closeScope(region.last);
  }

  // After every region is emitted: groups inside a `__scope` block that an earlier barrier of
  // the block covers use its local address (scope_reuse.h).
  void emitReuses(std::vector<Region> &regions) {
    for (Region &region : regions)
      for (Group &group : region.groups)
        if (group.reuses) {
          reportReuse(group);
          for (Access &access : group.accesses) redirect(access, group.reuses->address, group.reuses->lo);
        }
  }

private:
  void emitGroup(Group &group) {
    Instruction *first = group.accesses.front().inst;
    unsigned site = api.nextSite(first);
    report(group);
    IRBuilder<> head(first);
    Value *start = head.CreateConstGEP1_64(head.getInt8Ty(),
                                           head.CreatePointerCast(group.base, api.bytePtr),
                                           group.lo, "far.start");
    Value *isFar = api.isFar(head, start);
    BasicBlock *headBlock = first->getParent();
    Instruction *slowEnd = SplitBlockAndInsertIfThen(isFar, first, false);
    openScope(slowEnd, site, RuntimeApi::locationNear(first));
    IRBuilder<> slow(slowEnd);
    slow.SetCurrentDebugLocation(RuntimeApi::locationNear(first));
    Value *local = slow.CreateCall(api.barrier(group.write, group.nontemporal),
                                   {start, slow.getInt64(group.hi - group.lo), slow.getInt32(site)},
                                   "far.local");
    PHINode *address = PHINode::Create(api.bytePtr, 2, "far.addr", &first->getParent()->front());
    address->addIncoming(start, headBlock);
    address->addIncoming(local, slowEnd->getParent());
    if (!loopHeld || nestInLoopScopes) {
      IRBuilder<> atHead(headBlock->getTerminator());
      entered = entered ? atHead.CreateOr(entered, isFar, "far.entered") : isFar;
    }
    group.address = address;
    for (Access &access : group.accesses) redirect(access, address, group.lo);
  }

  // Inside the far branch: enter the region's scope unless an earlier group already did. In a
  // loop holding a scope, the loop's scope is the region's: it is left only on the latch (after
  // the region's last access) and at the loop's exits, so a nested scope per region would only
  // add a depth increment and decrement (and the exit's pending test) per barrier.
  // Calls get the debug location of the access they serve (the inliner requires one).
  void openScope(Instruction *slowEnd, unsigned site, const DebugLoc &where) {
    if (loopHeld) openLoopScope(slowEnd, site, where);
    if (loopHeld && !nestInLoopScopes) return;
    Instruction *enterAt = slowEnd;
    if (entered) {
      IRBuilder<> builder(slowEnd);
      enterAt = SplitBlockAndInsertIfThen(builder.CreateNot(entered), slowEnd, false);
    }
    IRBuilder<> builder(enterAt);
    builder.SetCurrentDebugLocation(where);
    builder.CreateCall(api.scopeEnter, {ConstantInt::get(api.siteTy, site)});
  }

  // In a loop holding a scope: enter it unless it is held already (see loop_scopes.h), so the
  // region's own scope below only nests in it.
  void openLoopScope(Instruction *slowEnd, unsigned site, const DebugLoc &where) {
    IRBuilder<> check(slowEnd);
    Value *held = check.CreateLoad(check.getInt1Ty(), loopHeld);
    IRBuilder<> enter(SplitBlockAndInsertIfThen(check.CreateNot(held), slowEnd, false));
    enter.SetCurrentDebugLocation(where);
    enter.CreateCall(api.scopeEnter, {ConstantInt::get(api.siteTy, site)});
    enter.CreateStore(enter.getTrue(), loopHeld);
  }

  void closeScope(Instruction *last) {
    Instruction *exitAt = SplitBlockAndInsertIfThen(entered, last->getNextNode(), false);
    IRBuilder<> builder(exitAt);
    builder.SetCurrentDebugLocation(RuntimeApi::locationNear(last));
    builder.CreateCall(api.scopeExit);
  }

  void redirect(Access &access, Value *address, int64_t lo) {
    IRBuilder<> builder(access.inst);
    Type *type = access.inst->getOperand(access.operand)->getType();
    Value *local = builder.CreateConstGEP1_64(builder.getInt8Ty(), address, access.offset - lo);
    access.inst->setOperand(access.operand, builder.CreatePointerCast(local, type));
  }

  // -Rpass=farpass: one remark per barrier, at the first access it serves.
  void report(const Group &group) {
    remarks.emit([&] {
      return OptimizationRemark("farpass", "Barrier", group.accesses.front().inst)
             << (group.write ? "far_write" : "far_read") << (group.nontemporal ? "_nt" : "")
             << " barrier of " << ore::NV("Bytes", group.hi - group.lo) << " bytes for "
             << ore::NV("Accesses", (unsigned)group.accesses.size()) << " access(es)";
    });
  }

  void reportReuse(const Group &group) {
    remarks.emit([&] {
      DebugLoc from = group.reuses->accesses.front().inst->getDebugLoc();
      return OptimizationRemark("farpass", "ScopeReuse", group.accesses.front().inst)
             << "reuses the barrier of line " << ore::NV("Line", from ? from.getLine() : 0)
             << " in its __scope block for " << ore::NV("Accesses", (unsigned)group.accesses.size())
             << " access(es)";
    });
  }

  RuntimeApi &api;
  OptimizationRemarkEmitter &remarks;
  Value *entered = nullptr; // i1: some group of the region took the far branch
  AllocaInst *loopHeld = nullptr;
};

} // namespace

bool isInstrumentable(const Function &fn) {
  return !fn.isDeclaration() && !fn.hasFnAttribute(Attribute::DisableSanitizerInstrumentation);
}

// Loop work (when optimising): counted loops are versioned with range barriers, then call-free
// innermost loops hold scopes and chunk their affine accesses. Returns the loops' scope flags.
static LoopScopeFlags instrumentLoops(Function &fn, FunctionAnalysisManager &analyses, RuntimeApi &api,
                                      const SmallPtrSetImpl<Instruction *> &nontemporal,
                                      SmallPtrSetImpl<Instruction *> &done) {
  if (versionCountedLoops(fn, analyses.getResult<LoopAnalysis>(fn),
                          analyses.getResult<DominatorTreeAnalysis>(fn),
                          analyses.getResult<ScalarEvolutionAnalysis>(fn), api, nontemporal, done))
    analyses.invalidate(fn, PreservedAnalyses::none());
  LoopInfo &loops = analyses.getResult<LoopAnalysis>(fn);
  ScalarEvolution &scev = analyses.getResult<ScalarEvolutionAnalysis>(fn);
  SmallPtrSet<Instruction *, 16> affine; // decided before the loop instrumentation splits blocks
  for (BasicBlock &block : fn)
    for (Instruction &inst : block)
      if (hasAffinePointer(inst, loops, scev)) affine.insert(&inst);
  SmallPtrSet<const BasicBlock *, 16> barrierBlocks;
  for (const Region &region : findRegions(fn, nontemporal, done))
    barrierBlocks.insert(region.last->getParent());
  LoopScopeFlags flags = holdLoopScopes(fn, loops, api, barrierBlocks);
  chunkLoopAccesses(fn, flags, api, nontemporal, affine, done);
  return flags;
}

// The scope flag of the loop holding BLOCK's scope, if any. Chunking split the loops' blocks after
// their flags were recorded, so a block not in LOOP_FLAGS is looked up through its innermost loop
// (a loop's header stays its first block). Without this, regions after a chunked access in the same
// block opened their own scope, nested in the loop's.
static AllocaInst *loopHeldFlag(const BasicBlock *block, const LoopScopeFlags &loopFlags,
                                const LoopInfo &loops) {
  auto found = loopFlags.find(block);
  if (found != loopFlags.end()) return found->second.held;
  const Loop *loop = loops.getLoopFor(block);
  return loop ? loopFlags.lookup(loop->getHeader()).held : nullptr;
}

PreservedAnalyses BarrierPass::run(Function &fn, FunctionAnalysisManager &analyses) {
  if (!isInstrumentable(fn)) return PreservedAnalyses::all();
  SmallPtrSet<Instruction *, 16> nontemporal;
  removeNoCacheMarks(fn, nontemporal);
  SmallPtrSet<Instruction *, 16> done; // accesses instrumented by the loop work
  RuntimeApi api(*fn.getParent());
  bool namedScopes = nameScopeBlocks(fn, api);
  if (findRegions(fn, nontemporal, done).empty())
    return namedScopes ? PreservedAnalyses::none() : PreservedAnalyses::all();
  LoopScopeFlags loopFlags;
  if (holdScopesInLoops) loopFlags = instrumentLoops(fn, analyses, api, nontemporal, done);
  std::vector<Region> regions = findRegions(fn, nontemporal, done); // the loop work split blocks
  DominatorTree tree(fn);
  LoopInfo loops(tree);
  for (Region &region : regions) region.loopHeld = loopHeldFlag(region.last->getParent(), loopFlags, loops);
  planScopeReuse(fn, regions);
  OptimizationRemarkEmitter remarks(&fn);
  RegionEmitter emitter(api, remarks);
  for (Region &region : regions) emitter.emit(region);
  emitter.emitReuses(regions);
  return PreservedAnalyses::none();
}

} // namespace farpass
