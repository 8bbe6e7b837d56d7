// Small helpers to build the AST nodes the plugin inserts (references and calls to the runtime's
// functions, integer literals), and to find those functions in the translation unit.
#ifndef FARPASS_AST_BUILDER_H
#define FARPASS_AST_BUILDER_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Expr.h"

namespace farpass {

// The function NAME declared at file scope (by far/farcc.h), or null.
clang::FunctionDecl *lookupFunction(clang::ASTContext &ctx, llvm::StringRef name);
clang::Expr *functionRef(clang::ASTContext &ctx, clang::FunctionDecl *fn, clang::SourceLocation loc);
clang::Expr *callFunction(clang::ASTContext &ctx, clang::FunctionDecl *fn,
                          llvm::ArrayRef<clang::Expr *> args, clang::SourceLocation loc);
clang::Expr *intLiteral(clang::ASTContext &ctx, clang::QualType type, uint64_t value,
                        clang::SourceLocation loc);

} // namespace farpass

#endif
