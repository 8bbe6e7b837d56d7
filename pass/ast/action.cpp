// Registers the AST stage with clang (-fplugin=farpass.so). It must run before the main action:
// externally visible functions are emitted as soon as codegen sees them.
#include "consumer.h"

#include "clang/Frontend/FrontendPluginRegistry.h"

namespace farpass {
namespace {

class FarAction : public clang::PluginASTAction {
protected:
  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance &compiler,
                                                        llvm::StringRef) override {
    return std::make_unique<FarConsumer>(compiler);
  }
  bool ParseArgs(const clang::CompilerInstance &, const std::vector<std::string> &) override {
    return true;
  }
  ActionType getActionType() override { return AddBeforeMainAction; }
};

} // namespace
} // namespace farpass

static clang::FrontendPluginRegistry::Add<farpass::FarAction>
    registration("farpass", "farmem: remoteable types, allocation sites, scopes, diagnostics");
