// Locality: a pointer whose every underlying object is local memory is never far. (A far pointer
// loaded *from* a stack slot is still far; only the slot's own address is local.)
#include "locality.h"

#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/Argument.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalValue.h"
#include "llvm/IR/Instructions.h"
#include "llvm/Support/CommandLine.h"

using namespace llvm;

namespace farpass {

static bool isLocalObject(const Value *object) {
  if (isa<AllocaInst>(object) || isa<GlobalValue>(object) || isa<ConstantPointerNull>(object) ||
      isa<UndefValue>(object))
    return true;
  if (const auto *arg = dyn_cast<Argument>(object)) return arg->hasByValAttr();
  return false;
}

// For measuring what the locality proof saves: treat every pointer as possibly far.
static cl::opt<bool> assumeFar("farpass-assume-far", cl::init(false),
                               cl::desc("farpass: put barriers on provably local pointers too"));

bool isProvablyLocal(const Value *pointer) {
  if (assumeFar) return false;
  SmallVector<const Value *, 4> objects;
  getUnderlyingObjects(pointer, objects, nullptr, /*MaxLookup=*/0);
  for (const Value *object : objects)
    if (!isLocalObject(object)) return false;
  return !objects.empty();
}

} // namespace farpass
