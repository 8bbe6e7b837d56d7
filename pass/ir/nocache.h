// The don't-cache hint for one access: `__nocache(lvalue)` in the source becomes a call to the
// marker __far_nocache_mark(&lvalue) (far/farcc.h). The IR stage removes each marker and gives
// the loads and stores through its result the far_read_nt / far_write_nt barriers.
#ifndef FARPASS_IR_NOCACHE_H
#define FARPASS_IR_NOCACHE_H

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/IR/Function.h"

namespace farpass {

constexpr const char *kNoCacheMark = "__far_nocache_mark";

void removeNoCacheMarks(llvm::Function &fn, llvm::SmallPtrSetImpl<llvm::Instruction *> &marked);

} // namespace farpass

#endif
