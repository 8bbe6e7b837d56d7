// Jumps that a `__scope { ... }` block cannot support, reported as errors with file:line:col: a
// goto (or a computed goto's label address, or a switch's case label) from outside into the block
// would skip its scope entry but still run its exit; a longjmp inside it would leave the scope
// open for the rest of the thread's life.
#ifndef FARPASS_AST_SCOPE_JUMPS_H
#define FARPASS_AST_SCOPE_JUMPS_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Stmt.h"

namespace farpass {

// Checks every __scope block of a function BODY (after ScopeRewriter has rewritten them).
void checkScopeJumps(clang::ASTContext &ctx, clang::Stmt *body);

} // namespace farpass

#endif
