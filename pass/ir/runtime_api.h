// The runtime entry points the IR stage emits calls to (names fixed by the runtime API contract,
// far/rt.h) and the far-address tag test.
#ifndef FARPASS_IR_RUNTIME_API_H
#define FARPASS_IR_RUNTIME_API_H

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

#include <string>

namespace farpass {

// Far addresses carry the tag 0xFA in bits 63..56 (far/rt.h).
constexpr unsigned kFarTagShift = 56;
constexpr uint64_t kFarTag = 0xFA;
constexpr unsigned kFarClassShift = 51; // bits 55..51: the size class c (objects of 2^c bytes)
constexpr uint64_t kFarClassMax = 16;    // FAR_HEAP_CLASS_MAX: larger classes are not heap addresses

struct RuntimeApi {
  explicit RuntimeApi(llvm::Module &module);
  llvm::FunctionCallee barrier(bool write, bool nontemporal) const;
  // i1: the pointer carries the far tag and a heap size class (a far heap address).
  llvm::Value *isFar(llvm::IRBuilder<> &builder, llvm::Value *pointer) const;
  // i64: the size class of the far address ADDRESS (an i64), log2 of its object's size.
  static llvm::Value *sizeClass(llvm::IRBuilder<> &builder, llvm::Value *address);
  // A debug location for a call inserted near INST: the inliner and the DWARF writer need one on
  // every call to an inlinable function when the function has debug info.
  static llvm::DebugLoc locationNear(const llvm::Instruction *inst);
  // A small id for a barrier or scope site, unique within the module (0 means unknown), named
  // (site_names.h) after the source location of NEAR, or NAME.
  unsigned nextSite(const llvm::Instruction *near);
  unsigned nextSite(std::string name);

  llvm::Module &module;
  llvm::Type *bytePtr, *sizeTy, *siteTy;
  llvm::FunctionCallee read, write, readNT, writeNT, scopeEnter, scopeExit;

private:
  unsigned siteBase;
};

} // namespace farpass

#endif
