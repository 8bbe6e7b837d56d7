// Registers the IR stage with clang's pass pipeline (-fpass-plugin=farpass.so). It runs at the
// pipeline start, at every optimisation level including -O0, before LLVM's inliner: the runtime's
// inline fast paths are inlined into the instrumented code afterwards. With optimisation on, the
// program's small leaf helpers are inlined first (early_inline.h), then SROA and EarlyCSE run so
// repeated uses of one pointer share a base and thus a barrier, and LoopSimplify gives loops the
// preheader, latch and exits that loop scopes need. Loop-invariant far loads are hoisted before any
// barrier exists (hoist_loads.h); InferFunctionAttrs first gives libc's declarations the attributes
// the native pipeline's alias analysis sees (a malloc'd array freed later is not "captured" by free).
#include "barriers.h"
#include "byval.h"
#include "early_inline.h"
#include "hoist_loads.h"
#include "libc_calls.h"
#include "rewritten.h"
#include "site_names.h"
#include "used_cleanup.h"

#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"
#include "llvm/Transforms/IPO/InferFunctionAttrs.h"
#include "llvm/Transforms/Scalar/EarlyCSE.h"
#include "llvm/Transforms/Scalar/SROA.h"
#include "llvm/Transforms/Utils/LCSSA.h"
#include "llvm/Transforms/Utils/LoopSimplify.h"

using namespace llvm;

static void addFarPasses(ModulePassManager &modules, OptimizationLevel level) {
  FunctionPassManager functions;
  bool optimising = level != OptimizationLevel::O0;
  if (optimising) {
    modules.addPass(farpass::EarlyInlinePass());
    modules.addPass(InferFunctionAttrsPass()); // libc's attributes (malloc noalias, free nocapture)
    functions.addPass(SROAPass());
    functions.addPass(EarlyCSEPass());
    functions.addPass(LoopSimplifyPass());
    functions.addPass(LCSSAPass());
    functions.addPass(farpass::HoistLoadsPass());
  }
  functions.addPass(farpass::ByvalCopyPass());
  functions.addPass(farpass::LibcCallPass());
  if (optimising) functions.addPass(LoopSimplifyPass());
  functions.addPass(farpass::BarrierPass(optimising));
  modules.addPass(createModuleToFunctionPassAdaptor(std::move(functions)));
  modules.addPass(farpass::UsedCleanupPass());
  modules.addPass(farpass::SiteTablePass());
  modules.addPass(farpass::RewrittenPrinterPass());
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "farpass", "0.1", [](PassBuilder &builder) {
            builder.registerPipelineStartEPCallback(addFarPasses);
          }};
}
