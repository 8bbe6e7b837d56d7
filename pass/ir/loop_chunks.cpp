// Per-site window caches in loops holding a scope (see loop_chunks.h). For an access of SIZE at p:
//   if (gen == loop.generation && lo <= p && p + SIZE <= hi) local = p + delta;   // no barrier
//   else if (!far(p)) { [lo, hi) = every non-far address; delta = 0; }
//   else { if (!loop.held) { far_scope_enter(site); loop.held = 1; }
//          window = the 256-byte-aligned window of p's object (objects are 2^c bytes, c from the
//          address's class bits); if the access fits in it: [lo, hi) = window,
//          delta = barrier(window) - window.lo; else no cache, delta = barrier(p, SIZE) - p }
//   gen = loop.generation; local = p + delta
// The state lives in stack slots that SROA turns into registers.
#include "loop_chunks.h"

#include "locality.h"
#include "loop_ranges.h"

#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"

using namespace llvm;

namespace farpass {
namespace {

constexpr uint64_t kNonFarEnd = kFarTag << kFarTagShift; // every non-far address is below
constexpr uint64_t kWindowShift = 8;                      // 256-byte windows

struct SiteCache {
  AllocaInst *lo, *hi, *delta, *generation;
};

class Chunker {
public:
  Chunker(Function &fn, RuntimeApi &api)
      : api(api), entry(&*fn.getEntryBlock().getFirstInsertionPt()) {}

  void instrument(Instruction *access, const LoopScope &loop, bool nontemporal) {
    SiteCache cache = newCache();
    bool isLoad = isa<LoadInst>(access);
    PlainAccess plain = *plainAccess(*access);
    unsigned operand = plain.operand;
    Value *pointer = access->getOperand(operand);
    uint64_t size = access->getModule()->getDataLayout().getTypeStoreSize(plain.type).getFixedSize();
    DebugLoc where = RuntimeApi::locationNear(access);
    IRBuilder<> b(access);
    Value *p = b.CreatePtrToInt(pointer, api.sizeTy);
    Value *end = b.CreateAdd(p, b.getInt64(size));
    Value *generation = b.CreateLoad(b.getInt32Ty(), loop.generation);
    Value *hit = b.CreateAnd(
        b.CreateICmpEQ(b.CreateLoad(b.getInt32Ty(), cache.generation), generation),
        b.CreateAnd(b.CreateICmpULE(b.CreateLoad(api.sizeTy, cache.lo), p),
                    b.CreateICmpULE(end, b.CreateLoad(api.sizeTy, cache.hi))));
    Instruction *missEnd = SplitBlockAndInsertIfThen(b.CreateNot(hit), access, false);
    IRBuilder<> miss(missEnd);
    Instruction *farEnd, *localEnd;
    SplitBlockAndInsertIfThenElse(api.isFar(miss, pointer), missEnd, &farEnd, &localEnd);
    IRBuilder<> local(localEnd);
    setCache(local, cache, local.getInt64(0), local.getInt64(kNonFarEnd), local.getInt64(0));
    IRBuilder<> far(farEnd);
    far.SetCurrentDebugLocation(where);
    unsigned site = api.nextSite(access);
    enterLoopScope(farEnd, loop, where, site);
    far.SetInsertPoint(farEnd);
    cacheWindow(far, cache, p, end, !isLoad, nontemporal, site);
    IRBuilder<> after(missEnd);
    after.CreateStore(generation, cache.generation);
    IRBuilder<> use(access);
    Value *address = use.CreateAdd(p, use.CreateLoad(api.sizeTy, cache.delta));
    access->setOperand(operand, use.CreateIntToPtr(address, pointer->getType()));
  }

private:
  SiteCache newCache() {
    SiteCache cache{entry.CreateAlloca(entry.getInt64Ty(), nullptr, "far.lo"),
                    entry.CreateAlloca(entry.getInt64Ty(), nullptr, "far.hi"),
                    entry.CreateAlloca(entry.getInt64Ty(), nullptr, "far.delta"),
                    entry.CreateAlloca(entry.getInt32Ty(), nullptr, "far.gen")};
    entry.CreateStore(entry.getInt32(-1), cache.generation); // never equal to a loop generation
    return cache;
  }

  static void setCache(IRBuilder<> &b, const SiteCache &cache, Value *lo, Value *hi, Value *delta) {
    b.CreateStore(lo, cache.lo);
    b.CreateStore(hi, cache.hi);
    b.CreateStore(delta, cache.delta);
  }

  void enterLoopScope(Instruction *at, const LoopScope &loop, const DebugLoc &where, unsigned site) {
    IRBuilder<> check(at);
    Value *held = check.CreateLoad(check.getInt1Ty(), loop.held);
    IRBuilder<> enter(SplitBlockAndInsertIfThen(check.CreateNot(held), at, false));
    enter.SetCurrentDebugLocation(where);
    enter.CreateCall(api.scopeEnter, {enter.getInt32(site)});
    enter.CreateStore(enter.getTrue(), loop.held);
  }

  void cacheWindow(IRBuilder<> &far, const SiteCache &cache, Value *p, Value *end, bool write,
                   bool nontemporal, unsigned site) {
    Value *shift = far.CreateBinaryIntrinsic(Intrinsic::umin, RuntimeApi::sizeClass(far, p),
                                             far.getInt64(kWindowShift));
    Value *windowSize = far.CreateShl(far.getInt64(1), shift);
    Value *windowLo = far.CreateAnd(p, far.CreateNeg(windowSize));
    Value *windowHi = far.CreateAdd(windowLo, windowSize);
    Value *fits = far.CreateICmpULE(end, windowHi);
    Value *start = far.CreateSelect(fits, windowLo, p);
    Value *length = far.CreateSelect(fits, windowSize, far.CreateSub(end, p));
    Value *local = far.CreateCall(api.barrier(write, nontemporal),
                                  {far.CreateIntToPtr(start, api.bytePtr), length,
                                   far.getInt32(site)});
    setCache(far, cache, far.CreateSelect(fits, windowLo, far.getInt64(1)),
             far.CreateSelect(fits, windowHi, far.getInt64(0)),
             far.CreateSub(far.CreatePtrToInt(local, api.sizeTy), start));
  }

  RuntimeApi &api;
  IRBuilder<> entry;
};

bool isChunkable(Instruction &inst, const SmallPtrSetImpl<Instruction *> &affine) {
  Optional<PlainAccess> plain = plainAccess(inst);
  return plain && affine.count(&inst) && !isProvablyLocal(inst.getOperand(plain->operand));
}

} // namespace

void chunkLoopAccesses(Function &fn, const LoopScopeFlags &loops, RuntimeApi &api,
                       const SmallPtrSetImpl<Instruction *> &nontemporal,
                       const SmallPtrSetImpl<Instruction *> &affine,
                       SmallPtrSetImpl<Instruction *> &done) {
  SmallVector<std::pair<Instruction *, LoopScope>, 16> accesses;
  for (auto &[block, scope] : loops)
    for (Instruction &inst : *const_cast<BasicBlock *>(block))
      if (isChunkable(inst, affine)) accesses.push_back({&inst, scope});
  if (accesses.empty()) return;
  Chunker chunker(fn, api);
  OptimizationRemarkEmitter remarks(&fn);
  for (auto &[access, scope] : accesses) {
    Instruction *inst = access;
    remarks.emit([&] {
      return OptimizationRemark("farpass", "Chunk", inst)
             << (isa<StoreInst>(inst) ? "write" : "read") << " cached per 256-byte window";
    });
    chunker.instrument(inst, scope, nontemporal.count(inst) > 0);
    done.insert(inst);
  }
}

} // namespace farpass
