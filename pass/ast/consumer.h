// The AST stage's consumer, placed before clang's code generator.
#ifndef FARPASS_AST_CONSUMER_H
#define FARPASS_AST_CONSUMER_H

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/Decl.h"
#include "clang/Frontend/CompilerInstance.h"

namespace farpass {

class FarConsumer : public clang::ASTConsumer {
public:
  explicit FarConsumer(clang::CompilerInstance &compiler);
  bool HandleTopLevelDecl(clang::DeclGroupRef group) override;

private:
  void handleFunction(clang::FunctionDecl *fn);
  bool isRuntimeHeader(clang::SourceLocation loc) const;
  void checkPrelude(clang::ASTContext &ctx, clang::SourceLocation loc);
  clang::CompilerInstance &compiler;
  bool preludeChecked = false;
};

} // namespace farpass

#endif
