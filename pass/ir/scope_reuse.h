// Barrier reuse across regions inside `__scope` blocks. Regions end at calls, but inside an
// explicit scope the runtime keeps every barrier result valid until the block ends, so a later
// group of accesses to bytes an earlier group's barrier covered (same base pointer, a range inside
// its range, a write only after a write barrier) uses that barrier's local address instead of
// taking its own, when the earlier one dominates it and both are inside one `__scope` block.
#ifndef FARPASS_IR_SCOPE_REUSE_H
#define FARPASS_IR_SCOPE_REUSE_H

#include "regions.h"

namespace farpass {

// Sets Group::reuses for the groups of REGIONS that can use an earlier group's barrier.
void planScopeReuse(llvm::Function &fn, std::vector<Region> &regions);

} // namespace farpass

#endif
