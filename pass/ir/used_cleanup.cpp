// Removes the runtime header's functions from llvm.used, and the no-cache marker function.
#include "used_cleanup.h"

#include "nocache.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Module.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

using namespace llvm;

namespace farpass {

static bool isRuntimeFunction(const GlobalValue *value) {
  const auto *fn = dyn_cast<Function>(value);
  return fn && fn->hasFnAttribute(Attribute::DisableSanitizerInstrumentation) &&
         fn->getName().startswith("far_");
}

PreservedAnalyses UsedCleanupPass::run(Module &module, ModuleAnalysisManager &) {
  bool changed = false;
  if (GlobalVariable *used = module.getGlobalVariable("llvm.used")) {
    SmallVector<GlobalValue *, 8> keep;
    if (auto *list = dyn_cast<ConstantArray>(used->getInitializer()))
      for (Value *entry : list->operands())
        if (auto *value = dyn_cast<GlobalValue>(entry->stripPointerCasts()))
          if (!isRuntimeFunction(value)) keep.push_back(value);
    used->eraseFromParent();
    if (!keep.empty()) appendToUsed(module, keep);
    changed = true;
  }
  if (Function *mark = module.getFunction(kNoCacheMark))
    if (mark->use_empty() && mark->hasLocalLinkage()) {
      mark->eraseFromParent();
      changed = true;
    }
  return changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
}

} // namespace farpass
