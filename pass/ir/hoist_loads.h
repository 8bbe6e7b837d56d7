// Loop-invariant far loads are hoisted out of call-free innermost loops before instrumentation.
// A load like `v->degree` or `v->edges` in `for (e = 0; e < v->degree; e++) w = v->edges[e]`
// is the same load on every iteration when no store of the loop may write its bytes, and the
// native build hoists it (LICM, after loop rotation). The far build could not: by the time LLVM's
// LICM runs, each such load sits behind a barrier whose slow path is an opaque call, so it paid a
// barrier (or a window-cache check) per iteration, and a loop bound read from far memory kept the
// loop from being counted, versioned and range-barriered. Same proof as LICM's, made before the
// barriers exist: alias analysis (TBAA and BasicAA, as in the native build) shows no instruction of
// the loop writes the load's bytes, and the load runs on every iteration (the loop is rotated
// first, as the native pipeline does, when the load is below the exit test); the hoisted load then
// gets its barrier once, in the preheader. Loops whose trip count ScalarEvolution already knows
// and whose exit test is in the header are only hoisted from without rotation: the strip-mining of
// loop_ranges.h needs that shape. -farpass-hoist=0 turns it off (for measuring).
#ifndef FARPASS_IR_HOIST_LOADS_H
#define FARPASS_IR_HOIST_LOADS_H

#include "llvm/IR/PassManager.h"

namespace farpass {

struct HoistLoadsPass : llvm::PassInfoMixin<HoistLoadsPass> {
  llvm::PreservedAnalyses run(llvm::Function &fn, llvm::FunctionAnalysisManager &);
};

} // namespace farpass

#endif
