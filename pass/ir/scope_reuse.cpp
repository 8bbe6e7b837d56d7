// The body of a `__scope` block in IR: the instructions reachable from its __far_scope_open call
// without passing one of its own __far_scope_close calls (matched through the guard variable the
// open's result is stored in; the AST stage makes the close its cleanup, so every way out of the
// block passes one). See scope_reuse.h.
#include "scope_reuse.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Instructions.h"

using namespace llvm;

namespace farpass {
namespace {

using Body = SmallPtrSet<const Instruction *, 32>;

bool calls(const Instruction &inst, StringRef name) {
  const auto *call = dyn_cast<CallInst>(&inst);
  const Function *callee = call ? call->getCalledFunction() : nullptr;
  return callee && callee->getName() == name;
}

// The guard variable holding OPEN's result, or null.
const Value *guardOf(const Instruction &open) {
  for (const User *user : open.users())
    if (const auto *store = dyn_cast<StoreInst>(user))
      if (store->getValueOperand() == &open) return store->getPointerOperand()->stripPointerCasts();
  return nullptr;
}

Body bodyOf(const Instruction &open, const Value *guard) {
  Body body;
  SmallPtrSet<const BasicBlock *, 16> started;
  SmallVector<const Instruction *, 16> work{open.getNextNode()};
  while (!work.empty()) {
    const Instruction *inst = work.pop_back_val();
    for (; inst; inst = inst->getNextNode()) {
      if (calls(*inst, "__far_scope_close") &&
          cast<CallInst>(inst)->getArgOperand(0)->stripPointerCasts() == guard)
        break; // this path leaves the block
      body.insert(inst);
      if (inst->isTerminator())
        for (const BasicBlock *next : successors(inst->getParent()))
          if (started.insert(next).second) work.push_back(&next->front());
    }
  }
  return body;
}

std::vector<Body> scopeBodies(Function &fn) {
  std::vector<Body> bodies;
  for (BasicBlock &block : fn)
    for (Instruction &inst : block)
      if (calls(inst, "__far_scope_open"))
        if (const Value *guard = guardOf(inst)) bodies.push_back(bodyOf(inst, guard));
  return bodies;
}

bool covers(const Group &earlier, const Group &later) {
  return earlier.base == later.base && earlier.nontemporal == later.nontemporal &&
         earlier.lo <= later.lo && later.hi <= earlier.hi && (earlier.write || !later.write);
}

bool inOneBody(const std::vector<Body> &bodies, const Instruction *a, const Instruction *b) {
  for (const Body &body : bodies)
    if (body.count(a) && body.count(b)) return true;
  return false;
}

} // namespace

void planScopeReuse(Function &fn, std::vector<Region> &regions) {
  std::vector<Body> bodies = scopeBodies(fn);
  if (bodies.empty()) return;
  DominatorTree dom(fn);
  std::vector<Group *> emitted; // groups that take their own barrier, in a scope body
  for (Region &region : regions) {
    size_t before = emitted.size(); // groups of this region share barriers already
    for (Group &group : region.groups) {
      const Instruction *first = group.accesses.front().inst;
      for (size_t i = 0; i < before && !group.reuses; i++)
        if (covers(*emitted[i], group) && dom.dominates(emitted[i]->accesses.front().inst, first) &&
            inOneBody(bodies, emitted[i]->accesses.front().inst, first))
          group.reuses = emitted[i];
      if (!group.reuses && inOneBody(bodies, first, first)) emitted.push_back(&group);
    }
  }
}

} // namespace farpass
