// The object last barriered in a loop holding a scope, reused by the loop's later barriers (see
// loop_objects.h). The state lives in stack slots that SROA turns into registers.
#include "loop_objects.h"

#include "llvm/Analysis/ValueTracking.h"
#include "llvm/Support/CommandLine.h"

using namespace llvm;

namespace farpass {

static cl::opt<bool> enabled("farpass-loop-objects", cl::init(true),
                             cl::desc("farpass: loops reuse the object their barriers last reached"));

bool loopObjectsEnabled() { return enabled; }

// The pointers V may be derived from: through GEPs and casts, both arms of selects and the inputs
// of phis (`c ? &p->left : &p->right` is a phi before SimplifyCFG has run), a few levels deep.
static void addRoots(Value *v, SmallPtrSetImpl<const Value *> &roots, unsigned depth = 0) {
  v = getUnderlyingObject(v);
  if (!roots.insert(v).second || depth >= 4) return;
  if (auto *select = dyn_cast<SelectInst>(v)) {
    addRoots(select->getTrueValue(), roots, depth + 1);
    addRoots(select->getFalseValue(), roots, depth + 1);
  } else if (auto *phi = dyn_cast<PHINode>(v)) {
    for (Value *in : phi->incoming_values()) addRoots(in, roots, depth + 1);
  }
}

// The roots of the value GROUP's pointer has in the previous iteration, if it is loop-carried.
static SmallPtrSet<const Value *, 4> carriedRoots(const Group &group, const LoopInfo &loops) {
  SmallPtrSet<const Value *, 4> roots;
  auto *phi = dyn_cast<PHINode>(getUnderlyingObject(group.base));
  const Loop *loop = loops.getLoopFor(group.accesses.front().inst->getParent());
  if (!phi || !loop || phi->getParent() != loop->getHeader()) return roots;
  roots.insert(phi); // the phi itself is this iteration's value, not the previous one's
  for (unsigned i = 0; i < phi->getNumIncomingValues(); i++)
    if (loop->contains(phi->getIncomingBlock(i))) addRoots(phi->getIncomingValue(i), roots);
  roots.erase(phi);
  return roots;
}

static void planLoop(ArrayRef<Group *> groups, const LoopInfo &loops, const DominatorTree &tree) {
  for (Group *group : groups) {
    const Value *root = getUnderlyingObject(group->base);
    SmallPtrSet<const Value *, 4> carried = carriedRoots(*group, loops);
    for (Group *other : groups) {
      if (other == group) continue;
      const Value *otherRoot = getUnderlyingObject(other->base);
      bool earlier = otherRoot == root &&
                     tree.dominates(other->accesses.front().inst, group->accesses.front().inst);
      if (earlier || carried.count(otherRoot)) group->checkObject = other->rememberObject = true;
    }
  }
}

void planLoopObjects(std::vector<Region> &regions, const LoopInfo &loops, const DominatorTree &tree) {
  if (!enabled) return;
  DenseMap<AllocaInst *, SmallVector<Group *, 8>> byLoop;
  for (Region &region : regions)
    if (region.loopHeld)
      for (Group &group : region.groups)
        if (!group.reuses && !group.nontemporal) byLoop[region.loopHeld].push_back(&group);
  for (auto &loop : byLoop) planLoop(loop.second, loops, tree);
}

LoopObjects::LoopObjects(Function &fn, RuntimeApi &api)
    : api(api), entry(&*fn.getEntryBlock().getFirstInsertionPt()) {}

LoopObjects::Cache &LoopObjects::cacheFor(const LoopScope &loop) {
  auto found = caches.find(loop.held);
  if (found != caches.end()) return found->second;
  Cache cache{entry.CreateAlloca(entry.getInt64Ty(), nullptr, "far.obj.lo"),
              entry.CreateAlloca(entry.getInt64Ty(), nullptr, "far.obj.hi"),
              entry.CreateAlloca(entry.getInt64Ty(), nullptr, "far.obj.delta"),
              entry.CreateAlloca(entry.getInt32Ty(), nullptr, "far.obj.gen"),
              entry.CreateAlloca(entry.getInt1Ty(), nullptr, "far.obj.writable")};
  entry.CreateStore(entry.getInt32(-1), cache.generation); // never equal to a loop generation
  entry.CreateStore(entry.getInt64(1), cache.lo);           // an empty range
  entry.CreateStore(entry.getInt64(0), cache.hi);
  entry.CreateStore(entry.getInt64(0), cache.delta);
  entry.CreateStore(entry.getFalse(), cache.writable);
  return caches.try_emplace(loop.held, cache).first->second;
}

// i1: the thread's scope holds no bounce buffer (far_self.fast, the runtime's fast-path
// condition, far/rt.h). Once a straddling access made one, a barrier inside its bytes returns the
// buffer (whose offset is no object's) and the object's own copy no longer shows the scope's
// writes there, so nothing remembered may be reused; fast stays 0 until the outermost scope exits,
// and with it the loop's scope (a new generation), so an offset remembered meanwhile is never
// reused either. Also 0 before the loop's first barrier has entered its scope.
static Value *scopeHasNoBounce(IRBuilder<> &b, Module &module) {
  GlobalVariable *self = module.getNamedGlobal("far_self");
  if (!self) // the prelude declares it (far/rt.h); a declaration of our own otherwise
    self = new GlobalVariable(module, b.getInt32Ty(), false, GlobalValue::ExternalLinkage, nullptr,
                              "far_self", nullptr, GlobalValue::InitialExecTLSModel);
  constexpr uint64_t kFastOffset = 4; // offsetof(struct far_thread, fast)
  Value *bytes = b.CreatePointerCast(self, b.getInt8PtrTy());
  Value *fast = b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), bytes, kFastOffset);
  Value *flag =
      b.CreateLoad(b.getInt32Ty(), b.CreatePointerCast(fast, b.getInt32Ty()->getPointerTo()));
  return b.CreateICmpNE(flag, b.getInt32(0));
}

Value *LoopObjects::hits(IRBuilder<> &b, const LoopScope &loop, Value *p, Value *end, bool write) {
  Cache &cache = cacheFor(loop);
  Value *current = b.CreateICmpEQ(b.CreateLoad(b.getInt32Ty(), cache.generation),
                                  b.CreateLoad(b.getInt32Ty(), loop.generation));
  current = b.CreateAnd(current, scopeHasNoBounce(b, api.module));
  Value *inside = b.CreateAnd(b.CreateICmpULE(b.CreateLoad(api.sizeTy, cache.lo), p),
                              b.CreateICmpULE(end, b.CreateLoad(api.sizeTy, cache.hi)));
  Value *hit = b.CreateAnd(current, inside);
  return write ? b.CreateAnd(hit, b.CreateLoad(b.getInt1Ty(), cache.writable)) : hit;
}

Value *LoopObjects::delta(IRBuilder<> &b, const LoopScope &loop) {
  return b.CreateLoad(api.sizeTy, cacheFor(loop).delta);
}

void LoopObjects::remember(IRBuilder<> &b, const LoopScope &loop, Value *p, Value *end, Value *local,
                           bool write) {
  Cache &cache = cacheFor(loop);
  Value *size = b.CreateShl(b.getInt64(1), RuntimeApi::sizeClass(b, p));
  Value *objectLo = b.CreateAnd(p, b.CreateNeg(size));
  Value *objectHi = b.CreateAdd(objectLo, size);
  Value *fits = b.CreateICmpULE(end, objectHi); // else a bounce copy may serve it: not reusable
  b.CreateStore(b.CreateSelect(fits, objectLo, b.getInt64(1)), cache.lo);
  b.CreateStore(b.CreateSelect(fits, objectHi, b.getInt64(0)), cache.hi);
  b.CreateStore(b.CreateSub(b.CreatePtrToInt(local, api.sizeTy), p), cache.delta);
  b.CreateStore(b.CreateLoad(b.getInt32Ty(), loop.generation), cache.generation);
  b.CreateStore(b.getInt1(write), cache.writable);
}

} // namespace farpass
