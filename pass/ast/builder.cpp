// AST construction helpers for the nodes the plugin inserts.
#include "builder.h"

using namespace clang;

namespace farpass {

FunctionDecl *lookupFunction(ASTContext &ctx, llvm::StringRef name) {
  for (NamedDecl *decl : ctx.getTranslationUnitDecl()->lookup(&ctx.Idents.get(name)))
    if (auto *fn = dyn_cast<FunctionDecl>(decl)) return fn;
  return nullptr;
}

Expr *functionRef(ASTContext &ctx, FunctionDecl *fn, SourceLocation loc) {
  auto *ref = DeclRefExpr::Create(ctx, NestedNameSpecifierLoc(), SourceLocation(), fn, false, loc,
                                  fn->getType(), VK_LValue);
  return ImplicitCastExpr::Create(ctx, ctx.getPointerType(fn->getType()), CK_FunctionToPointerDecay,
                                  ref, nullptr, VK_PRValue, FPOptionsOverride());
}

Expr *callFunction(ASTContext &ctx, FunctionDecl *fn, llvm::ArrayRef<Expr *> args,
                   SourceLocation loc) {
  return CallExpr::Create(ctx, functionRef(ctx, fn, loc), args, fn->getReturnType(), VK_PRValue,
                          loc, FPOptionsOverride());
}

Expr *intLiteral(ASTContext &ctx, QualType type, uint64_t value, SourceLocation loc) {
  return IntegerLiteral::Create(ctx, llvm::APInt(ctx.getIntWidth(type), value), type, loc);
}

} // namespace farpass
