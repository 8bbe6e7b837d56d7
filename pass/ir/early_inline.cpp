// Inlines small internal leaf functions before instrumentation (see early_inline.h).
#include "early_inline.h"
#include "loop_calls.h"

#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Transforms/Utils/Cloning.h"

using namespace llvm;

namespace farpass {

namespace {

// Largest body (instructions, debug intrinsics not counted) inlined; 0 turns the pass off.
cl::opt<unsigned> maxSize("farpass-early-inline", cl::init(64),
                          cl::desc("farpass: inline internal leaf functions up to this many "
                                   "instructions before instrumenting (0: off)"));

// The runtime's and farcc's own header functions are recognised by name later: never inlined here.
bool isToolchainFunction(const Function &fn) {
  StringRef name = fn.getName();
  return fn.hasFnAttribute(Attribute::DisableSanitizerInstrumentation) || name.startswith("far_") ||
         name.startswith("__far") || name.startswith("farcc_");
}

// An internal function small enough, calling nothing but intrinsics.
bool isSmallLeaf(const Function &fn) {
  if (fn.isDeclaration() || !fn.hasLocalLinkage() || fn.isVarArg() || isToolchainFunction(fn) ||
      fn.hasFnAttribute(Attribute::NoInline) || fn.hasFnAttribute(Attribute::OptimizeNone))
    return false;
  unsigned size = 0;
  for (const BasicBlock &block : fn)
    for (const Instruction &inst : block) {
      if (isa<DbgInfoIntrinsic>(inst)) continue;
      if (isRealCall(inst)) return false;
      if (++size > maxSize) return false;
    }
  return true;
}

// Inlines every direct call to a small leaf; returns true when something changed.
bool inlineRound(Module &module) {
  SmallVector<CallBase *, 16> calls;
  for (Function &caller : module)
    for (BasicBlock &block : caller)
      for (Instruction &inst : block)
        if (auto *call = dyn_cast<CallBase>(&inst))
          if (Function *callee = call->getCalledFunction())
            if (callee != &caller && isSmallLeaf(*callee)) calls.push_back(call);
  bool changed = false;
  for (CallBase *call : calls) {
    InlineFunctionInfo info;
    changed |= InlineFunction(*call, info).isSuccess();
  }
  return changed;
}

} // namespace

PreservedAnalyses EarlyInlinePass::run(Module &module, ModuleAnalysisManager &) {
  if (maxSize == 0) return PreservedAnalyses::all();
  bool changed = false;
  // A helper calling helpers becomes a leaf once they are inlined into it: a few rounds.
  for (int round = 0; round < 4 && inlineRound(module); round++) changed = true;
  for (Function &fn : make_early_inc_range(module))
    if (fn.hasLocalLinkage() && !fn.isDeclaration() && fn.use_empty() && !isToolchainFunction(fn)) {
      fn.eraseFromParent();
      changed = true;
    }
  return changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
}

} // namespace farpass
