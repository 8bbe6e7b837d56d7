// Splits each basic block into regions at calls and collects, per region, the accesses whose
// pointer may be far, grouped by base pointer so that p->a, p->b, p->c cost one barrier.
#include "regions.h"

#include "locality.h"
#include "loop_calls.h"

#include "llvm/IR/DataLayout.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"

using namespace llvm;

namespace farpass {
namespace {

// Accesses further apart than this get separate barriers: a wide span could straddle objects
// and force the runtime's bounce copy. 0 turns barrier sharing off (for measuring it).
cl::opt<int64_t> maxGroupSpan("farpass-group-span", cl::init(256),
                              cl::desc("farpass: widest span (bytes) one barrier may cover"));
// Memory intrinsics up to this size get barriers; larger ones become far_memcpy & co.
constexpr uint64_t kMaxInlineTransfer = 4096;

bool endsRegion(const Instruction &inst) { return isRealCall(inst); }

class RegionBuilder {
public:
  RegionBuilder(const DataLayout &layout, const SmallPtrSetImpl<Instruction *> &nontemporal)
      : layout(layout), nontemporal(nontemporal) {}

  void visit(Instruction &inst) {
    if (endsRegion(inst)) return close();
    if (auto *load = dyn_cast<LoadInst>(&inst))
      add(inst, load->getPointerOperandIndex(), load->getType(), false);
    else if (auto *store = dyn_cast<StoreInst>(&inst))
      add(inst, store->getPointerOperandIndex(), store->getValueOperand()->getType(), true);
    else if (auto *rmw = dyn_cast<AtomicRMWInst>(&inst))
      add(inst, rmw->getPointerOperandIndex(), rmw->getValOperand()->getType(), true);
    else if (auto *cas = dyn_cast<AtomicCmpXchgInst>(&inst))
      add(inst, cas->getPointerOperandIndex(), cas->getCompareOperand()->getType(), true);
    else if (auto *mem = dyn_cast<MemIntrinsic>(&inst))
      addTransfer(*mem);
  }

  void close() {
    if (!current.groups.empty()) regions.push_back(std::move(current));
    current = Region();
  }

  std::vector<Region> regions;

private:
  void add(Instruction &inst, unsigned operand, Type *type, bool write) {
    addSized(inst, operand, layout.getTypeStoreSize(type).getFixedSize(), write);
  }

  void addTransfer(MemIntrinsic &mem) {
    auto *length = dyn_cast<ConstantInt>(mem.getLength());
    if (!length || length->isZero() || length->getZExtValue() > kMaxInlineTransfer) return;
    addSized(mem, 0, length->getZExtValue(), true);
    if (isa<MemTransferInst>(mem)) addSized(mem, 1, length->getZExtValue(), false);
  }

  void addSized(Instruction &inst, unsigned operand, uint64_t size, bool write) {
    Value *pointer = inst.getOperand(operand);
    if (isProvablyLocal(pointer)) return;
    APInt offset(64, 0);
    Value *base = pointer->stripAndAccumulateConstantOffsets(layout, offset, true);
    Access access{&inst,  operand, base, offset.getSExtValue(), size, write,
                  nontemporal.count(&inst) > 0};
    current.last = &inst;
    for (Group &group : current.groups)
      if (group.base == base && group.nontemporal == access.nontemporal &&
          std::max(group.hi, access.offset + (int64_t)size) -
                  std::min(group.lo, access.offset) <= maxGroupSpan) {
        group.lo = std::min(group.lo, access.offset);
        group.hi = std::max(group.hi, access.offset + (int64_t)size);
        group.write |= write;
        group.accesses.push_back(access);
        return;
      }
    current.groups.push_back(Group{base, access.offset, access.offset + (int64_t)size, write,
                                   access.nontemporal, {access}});
  }

  const DataLayout &layout;
  const SmallPtrSetImpl<Instruction *> &nontemporal;
  Region current;
};

} // namespace

std::vector<Region> findRegions(Function &fn, const SmallPtrSetImpl<Instruction *> &nontemporal,
                                const SmallPtrSetImpl<Instruction *> &skip) {
  RegionBuilder builder(fn.getParent()->getDataLayout(), nontemporal);
  for (BasicBlock &block : fn) {
    for (Instruction &inst : block)
      if (!skip.count(&inst)) builder.visit(inst);
    builder.close();
  }
  return std::move(builder.regions);
}

} // namespace farpass
