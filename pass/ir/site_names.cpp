// The module's site table (see site_names.h):
//   @__farcc_site_names = private constant [N x { i32, i8* }] [{ site, "file.c:42" }, ...]
//   internal constructor: far_stats_register_sites(@__farcc_site_names, N)
// The table is static storage, which the runtime keeps a pointer to rather than a copy.
#include "site_names.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/Support/Path.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include <utility>
#include <vector>

using namespace llvm;

namespace farpass {
namespace {

using SiteList = std::vector<std::pair<unsigned, std::string>>;

// One list per module (one module per compiler invocation), filled by the function passes.
SiteList &sitesOf(const Module &module) {
  static DenseMap<const Module *, SiteList> tables;
  return tables[&module];
}

constexpr const char *kScopeOpen = "__far_scope_open";

std::string fileName(StringRef path) { return sys::path::filename(path).str(); }

} // namespace

void recordSiteName(const Module &module, unsigned site, std::string name) {
  sitesOf(module).emplace_back(site, std::move(name));
}

std::string siteNameAt(const Instruction *inst) {
  DebugLoc where = RuntimeApi::locationNear(inst);
  if (where && where.getLine())
    return fileName(cast<DIScope>(where.getScope())->getFilename()) + ":" +
           std::to_string(where.getLine());
  return fileName(inst->getModule()->getSourceFileName()) + ":" +
         inst->getFunction()->getName().str();
}

bool nameScopeBlocks(Function &fn, RuntimeApi &api) {
  bool changed = false;
  for (BasicBlock &block : fn)
    for (Instruction &inst : block) {
      auto *call = dyn_cast<CallInst>(&inst);
      Function *callee = call ? call->getCalledFunction() : nullptr;
      auto *line = callee && callee->getName() == kScopeOpen
                       ? dyn_cast<ConstantInt>(call->getArgOperand(0))
                       : nullptr;
      if (!line) continue;
      std::string name = fileName(fn.getParent()->getSourceFileName()) + ":" +
                         std::to_string(line->getZExtValue());
      call->setArgOperand(0, ConstantInt::get(line->getType(), api.nextSite(name)));
      changed = true;
    }
  return changed;
}

PreservedAnalyses SiteTablePass::run(Module &module, ModuleAnalysisManager &) {
  SiteList &sites = sitesOf(module);
  if (sites.empty()) return PreservedAnalyses::all();
  LLVMContext &ctx = module.getContext();
  IRBuilder<> b(ctx);
  StructType *entryTy = StructType::get(b.getInt32Ty(), b.getInt8PtrTy());
  std::vector<Constant *> entries;
  for (auto &[site, name] : sites)
    entries.push_back(ConstantStruct::get(
        entryTy, {b.getInt32(site), ConstantExpr::getPointerCast(
                                        b.CreateGlobalString(name, "__farcc_site", 0, &module),
                                        b.getInt8PtrTy())}));
  auto *arrayTy = ArrayType::get(entryTy, entries.size());
  auto *table = new GlobalVariable(module, arrayTy, true, GlobalValue::PrivateLinkage,
                                   ConstantArray::get(arrayTy, entries), "__farcc_site_names");
  FunctionCallee registerSites = module.getOrInsertFunction(
      "far_stats_register_sites", b.getVoidTy(), b.getInt8PtrTy(), b.getInt32Ty());
  Function *ctor = Function::Create(FunctionType::get(b.getVoidTy(), false),
                                    GlobalValue::InternalLinkage, "__farcc_register_sites", module);
  b.SetInsertPoint(BasicBlock::Create(ctx, "", ctor));
  b.CreateCall(registerSites, {b.CreatePointerCast(table, b.getInt8PtrTy()),
                               b.getInt32(entries.size())});
  b.CreateRetVoid();
  appendToGlobalCtors(module, ctor, 65535);
  sites.clear();
  return PreservedAnalyses::none();
}

} // namespace farpass
