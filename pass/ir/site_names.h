// Site names for the runtime's statistics: every site id the IR stage hands out (barriers, scope
// entries, `__scope` blocks) is recorded with where it is in the source, "file.c:42", and at the
// end of the pipeline SiteTablePass emits the module's table and a constructor that registers it
// (far_stats_register_sites), so FAR_STATS names the scope behind the longest evacuator wait.
#ifndef FARPASS_IR_SITE_NAMES_H
#define FARPASS_IR_SITE_NAMES_H

#include "runtime_api.h"

#include "llvm/IR/PassManager.h"

#include <string>

namespace farpass {

// Records NAME for SITE in MODULE's table.
void recordSiteName(const llvm::Module &module, unsigned site, std::string name);

// "file.c:42" for INST's debug location; without one, "file.c:function".
std::string siteNameAt(const llvm::Instruction *inst);

// The AST stage opens `__scope` blocks with __far_scope_open(line, nontemporal): give each a site
// id of its own, named after that line. Returns whether FN changed.
bool nameScopeBlocks(llvm::Function &fn, RuntimeApi &api);

struct SiteTablePass : llvm::PassInfoMixin<SiteTablePass> {
  llvm::PreservedAnalyses run(llvm::Module &module, llvm::ModuleAnalysisManager &);
  static bool isRequired() { return true; }
};

} // namespace farpass

#endif
