// Emits the checked barriers of each region:
//   start = base + lo; if (tag(start) == FAR) { if (!entered) far_scope_enter(site);
//                                              local = far_read|write(start, hi - lo, site); }
//   every access of the group then uses local + (offset - lo)
// and after the region's last access: if (entered) far_scope_exit().
// Pointers that are not far (stack, globals, libc heap) pay only the tag test.
#include "barriers.h"

#include "loop_chunks.h"
#include "loop_objects.h"
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
  RegionEmitter(RuntimeApi &api, OptimizationRemarkEmitter &remarks, LoopObjects &objects)
      : api(api), remarks(remarks), objects(objects) {}

  void emit(Region &region) {
    entered = nullptr;
    loopHeld = region.loopHeld;
    loopGeneration = region.loopGeneration;
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
    Value *address = reusesLoopObject(group) ? emitLoopObjectBarrier(group, start, site)
                                             : emitBarrier(group, start, site, first);
    group.address = address;
    for (Access &access : group.accesses) redirect(access, address, group.lo);
  }

  bool reusesLoopObject(const Group &group) const {
    return loopHeld && !group.nontemporal && !nestInLoopScopes &&
           (group.checkObject || group.rememberObject);
  }

  // The checked barrier before BEFORE; returns the local address (a phi where BEFORE is).
  Value *emitBarrier(Group &group, Value *start, unsigned site, Instruction *before,
                     Value *end = nullptr) {
    IRBuilder<> head(before);
    Value *isFar = api.isFar(head, start);
    BasicBlock *headBlock = before->getParent();
    Instruction *slowEnd = SplitBlockAndInsertIfThen(isFar, before, false);
    openScope(slowEnd, site, RuntimeApi::locationNear(before));
    IRBuilder<> slow(slowEnd);
    slow.SetCurrentDebugLocation(RuntimeApi::locationNear(before));
    Value *local = slow.CreateCall(api.barrier(group.write, group.nontemporal),
                                   {start, slow.getInt64(group.hi - group.lo), slow.getInt32(site)},
                                   "far.local");
    if (end)
      objects.remember(slow, {loopHeld, loopGeneration}, slow.CreatePtrToInt(start, api.sizeTy), end,
                       local, group.write);
    PHINode *address = PHINode::Create(api.bytePtr, 2, "far.addr", &before->getParent()->front());
    address->addIncoming(start, headBlock);
    address->addIncoming(local, slowEnd->getParent());
    if (!loopHeld || nestInLoopScopes) {
      IRBuilder<> atHead(headBlock->getTerminator());
      entered = entered ? atHead.CreateOr(entered, isFar, "far.entered") : isFar;
    }
    return address;
  }

  // In a loop holding a scope: if [start, start + span) lies in the object the loop's barriers
  // last reached (loop_objects.h), its local address from the remembered offset; else the checked
  // barrier, which then remembers its object.
  Value *emitLoopObjectBarrier(Group &group, Value *start, unsigned site) {
    Instruction *first = group.accesses.front().inst;
    IRBuilder<> head(first);
    LoopScope loop{loopHeld, loopGeneration};
    Value *p = head.CreatePtrToInt(start, api.sizeTy);
    Value *end = head.CreateAdd(p, head.getInt64(group.hi - group.lo));
    if (!group.checkObject) return emitBarrier(group, start, site, first, end);
    Value *hit = objects.hits(head, loop, p, end, group.write);
    if (!group.rememberObject) end = nullptr;
    Value *reused = head.CreateIntToPtr(head.CreateAdd(p, objects.delta(head, loop)), api.bytePtr);
    BasicBlock *headBlock = first->getParent();
    Instruction *missEnd = SplitBlockAndInsertIfThen(head.CreateNot(hit), first, false);
    Value *barriered = emitBarrier(group, start, site, missEnd, end);
    PHINode *address = PHINode::Create(api.bytePtr, 2, "far.obj.addr", &first->getParent()->front());
    address->addIncoming(reused, headBlock);
    address->addIncoming(barriered, missEnd->getParent());
    return address;
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
             << ore::NV("Accesses", (unsigned)group.accesses.size()) << " access(es)"
             << (reusesLoopObject(group) && group.checkObject ? ", or the loop's last object" : "");
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
  LoopObjects &objects;
  Value *entered = nullptr; // i1: some group of the region took the far branch
  AllocaInst *loopHeld = nullptr, *loopGeneration = nullptr;
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

// The scope state of the loop holding BLOCK's scope, if any. Chunking split the loops' blocks after
// their flags were recorded, so a block not in LOOP_FLAGS is looked up through its innermost loop
// (a loop's header stays its first block). Without this, regions after a chunked access in the same
// block opened their own scope, nested in the loop's.
static LoopScope loopScopeOf(const BasicBlock *block, const LoopScopeFlags &loopFlags,
                             const LoopInfo &loops) {
  auto found = loopFlags.find(block);
  if (found != loopFlags.end()) return found->second;
  const Loop *loop = loops.getLoopFor(block);
  return loop ? loopFlags.lookup(loop->getHeader()) : LoopScope{nullptr, nullptr};
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
  for (Region &region : regions) {
    LoopScope scope = loopScopeOf(region.last->getParent(), loopFlags, loops);
    region.loopHeld = scope.held;
    region.loopGeneration = scope.generation;
  }
  planScopeReuse(fn, regions);
  planLoopObjects(regions, loops, tree);
  OptimizationRemarkEmitter remarks(&fn);
  LoopObjects objects(fn, api);
  RegionEmitter emitter(api, remarks, objects);
  for (Region &region : regions) emitter.emit(region);
  emitter.emitReuses(regions);
  return PreservedAnalyses::none();
}

} // namespace farpass
