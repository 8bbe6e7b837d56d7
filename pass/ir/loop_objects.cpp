// The object last barriered in a loop holding a scope, reused by the loop's later barriers (see
// loop_objects.h). The state lives in stack slots that SROA turns into registers.
#include "loop_objects.h"

#include "llvm/Support/CommandLine.h"

using namespace llvm;

namespace farpass {

static cl::opt<bool> enabled("farpass-loop-objects", cl::init(true),
                             cl::desc("farpass: loops reuse the object their barriers last reached"));

bool loopObjectsEnabled() { return enabled; }

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

Value *LoopObjects::hits(IRBuilder<> &b, const LoopScope &loop, Value *p, Value *end, bool write) {
  Cache &cache = cacheFor(loop);
  Value *current = b.CreateICmpEQ(b.CreateLoad(b.getInt32Ty(), cache.generation),
                                  b.CreateLoad(b.getInt32Ty(), loop.generation));
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
  Value *cls = b.CreateAnd(b.CreateLShr(p, kFarClassShift), b.getInt64(31));
  Value *size = b.CreateShl(b.getInt64(1), cls);
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
