// Declarations of the runtime entry points, looked up (or declared) by name in the module.
#include "runtime_api.h"

#include "site_names.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/xxhash.h"

using namespace llvm;

namespace farpass {

// The far test of the barriers as before 2026-11-27: the tag byte only (for measuring).
static cl::opt<bool> tagOnlyTest("farpass-tag-test", cl::init(false),
                                 cl::desc("farpass: test only the far tag before a barrier"));

RuntimeApi::RuntimeApi(Module &module) : module(module) {
  LLVMContext &ctx = module.getContext();
  bytePtr = Type::getInt8PtrTy(ctx);
  sizeTy = Type::getInt64Ty(ctx);
  siteTy = Type::getInt32Ty(ctx);
  auto *barrierTy = FunctionType::get(bytePtr, {bytePtr, sizeTy, siteTy}, false);
  read = module.getOrInsertFunction("far_read", barrierTy);
  write = module.getOrInsertFunction("far_write", barrierTy);
  readNT = module.getOrInsertFunction("far_read_nt", barrierTy);
  writeNT = module.getOrInsertFunction("far_write_nt", barrierTy);
  scopeEnter = module.getOrInsertFunction(
      "far_scope_enter", FunctionType::get(Type::getVoidTy(ctx), {siteTy}, false));
  scopeExit =
      module.getOrInsertFunction("far_scope_exit", FunctionType::get(Type::getVoidTy(ctx), false));
  // Sites of different modules differ in their top bits, so the stats can tell them apart.
  siteBase = (unsigned)(xxHash64(module.getSourceFileName()) & 0xfff) << 20;
}

DebugLoc RuntimeApi::locationNear(const Instruction *inst) {
  if (inst->getDebugLoc()) return inst->getDebugLoc();
  const DISubprogram *subprogram = inst->getFunction()->getSubprogram();
  if (!subprogram) return DebugLoc();
  return DILocation::get(inst->getContext(), 0, 0, const_cast<DISubprogram *>(subprogram));
}

FunctionCallee RuntimeApi::barrier(bool isWrite, bool nontemporal) const {
  if (nontemporal) return isWrite ? writeNT : readNT;
  return isWrite ? write : read;
}

Value *RuntimeApi::sizeClass(IRBuilder<> &builder, Value *address) {
  return builder.CreateAnd(builder.CreateLShr(address, kFarClassShift), builder.getInt64(31));
}

// The test is the runtime's own first step (far_access_ in far/rt.h: class = (a >> 51) - (0xFA <<
// 5), far when class <= FAR_HEAP_CLASS_MAX), so once the barrier is inlined into the far branch
// LLVM folds the runtime's repetition of it away; a tag-only test left both (about four
// instructions per barrier). Tagged addresses of no heap class were passed to the barrier, which
// returned them unchanged: now they skip it, with the same result.
Value *RuntimeApi::isFar(IRBuilder<> &builder, Value *pointer) const {
  Value *bits = builder.CreatePtrToInt(pointer, sizeTy);
  if (tagOnlyTest)
    return builder.CreateICmpEQ(builder.CreateLShr(bits, kFarTagShift),
                                ConstantInt::get(sizeTy, kFarTag), "far.is");
  Value *cls = builder.CreateSub(builder.CreateLShr(bits, kFarClassShift),
                                 ConstantInt::get(sizeTy, kFarTag << (kFarTagShift - kFarClassShift)));
  return builder.CreateICmpULE(cls, ConstantInt::get(sizeTy, kFarClassMax), "far.is");
}

unsigned RuntimeApi::nextSite(std::string name) {
  // One count per module (one module per compiler invocation), across all its functions.
  static DenseMap<const Module *, unsigned> counts;
  unsigned site = siteBase | (++counts[&module] & 0xfffff);
  recordSiteName(module, site, std::move(name));
  return site;
}

unsigned RuntimeApi::nextSite(const Instruction *near) { return nextSite(siteNameAt(near)); }

} // namespace farpass
