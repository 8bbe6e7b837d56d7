// Pointers that provably never point to far memory: addresses of stack slots, globals,
// functions and by-value argument copies. Loads and stores through them need no barrier.
#ifndef FARPASS_IR_LOCALITY_H
#define FARPASS_IR_LOCALITY_H

#include "llvm/IR/Value.h"

namespace farpass {

bool isProvablyLocal(const llvm::Value *pointer);

} // namespace farpass

#endif
