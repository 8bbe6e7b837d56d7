// Rewrites libc calls that may see far pointers. Three strategies, by function:
//   redirect  the call goes to a far-aware function with the same signature
//   bounce    string arguments that may be far are copied to a local buffer around the call
//   format    printf/scanf families: the format is read to find %s arguments and destinations
// Memory intrinsics with a size unknown or above the barrier limit become far_memcpy & co.
#include "libc_calls.h"

#include "barriers.h"
#include "format_args.h"
#include "locality.h"
#include "runtime_api.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Analysis/OptimizationRemarkEmitter.h"
#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/IntrinsicInst.h"

using namespace llvm;

namespace farpass {
namespace {

// Buffer for a scanf %s or %[ without a width whose destination is far.
constexpr uint64_t kUnboundedScanf = 4096;

const StringMap<StringRef> &redirects() {
  static const StringMap<StringRef> table = {
      {"free", "far_free"},         {"realloc", "far_realloc"},   {"reallocarray", "farcc_reallocarray"},   {"memcpy", "far_memcpy"},
      {"memmove", "far_memmove"},   {"memset", "far_memset"},       {"memcmp", "far_memcmp"},
      {"strlen", "far_strlen"},     {"strcmp", "far_strcmp"},       {"strncmp", "far_strncmp"},
      {"strcpy", "far_strcpy"},     {"strncpy", "far_strncpy"},     {"strchr", "far_strchr"},
      {"strrchr", "farcc_strrchr"}, {"strstr", "farcc_strstr"},     {"memchr", "farcc_memchr"},
      {"strcat", "farcc_strcat"},   {"strncat", "farcc_strncat"},   {"strdup", "farcc_strdup"},
      {"strndup", "farcc_strndup"}, {"fread", "farcc_fread"},       {"fwrite", "farcc_fwrite"},
      {"fgets", "farcc_fgets"},     {"qsort", "farcc_qsort"},       {"bsearch", "farcc_bsearch"},
      {"strtol", "farcc_strtol"},   {"strtoul", "farcc_strtoul"},   {"strtoll", "farcc_strtoll"},
      {"strtoull", "farcc_strtoull"}, {"strtod", "farcc_strtod"},   {"strtof", "farcc_strtof"},
      {"strnlen", "far_strnlen"},   {"strchrnul", "farcc_strchrnul"}, {"strpbrk", "farcc_strpbrk"},
      {"strcasestr", "farcc_strcasestr"}, {"stpcpy", "farcc_stpcpy"}, {"memrchr", "farcc_memrchr"},
      {"memmem", "farcc_memmem"},   {"mempcpy", "farcc_mempcpy"},   {"strtok", "farcc_strtok"},
      {"strtok_r", "farcc_strtok_r"}, {"strsep", "farcc_strsep"}};
  return table;
}

// Redirected even when no argument may be far: they continue, with local arguments only, in a
// string an earlier call saw (strtok's hidden state, the position strtok_r and strsep keep).
bool alwaysRedirected(StringRef name) {
  return name == "strtok" || name == "strtok_r" || name == "strsep";
}

// Functions taking NUL-terminated strings at these argument positions.
const StringMap<std::vector<unsigned>> &stringArgs() {
  static const StringMap<std::vector<unsigned>> table = {
      {"puts", {0}},       {"fputs", {0}},          {"atoi", {0}},    {"atol", {0}},
      {"atoll", {0}},      {"atof", {0}},           {"fopen", {0, 1}}, {"perror", {0}},
      {"getenv", {0}},     {"strcasecmp", {0, 1}},  {"strncasecmp", {0, 1}},
      {"strspn", {0, 1}},  {"strcspn", {0, 1}},     {"remove", {0}},  {"rename", {0, 1}},
      {"system", {0}},     {"access", {0}},         {"sscanf", {0}},  {"strcoll", {0, 1}},
      {"__isoc99_sscanf", {0}}};
  return table;
}

struct FormatFunction {
  unsigned format;
  bool scanf;
  int sizedDest;        // snprintf: argument 0 is a destination of the size in argument 1
  const char *farDest;  // sprintf: the far-aware replacement when argument 0 may be far
  bool pointerDest;     // asprintf: argument 0 receives a pointer
};

const StringMap<FormatFunction> &formatFunctions() {
  static const StringMap<FormatFunction> table = {
      {"printf", {0, false, -1, nullptr, false}},  {"fprintf", {1, false, -1, nullptr, false}},
      {"dprintf", {1, false, -1, nullptr, false}}, {"sprintf", {1, false, -1, "farcc_sprintf", false}},
      {"snprintf", {2, false, 0, nullptr, false}}, {"asprintf", {1, false, -1, nullptr, true}},
      {"scanf", {0, true, -1, nullptr, false}},    {"fscanf", {1, true, -1, nullptr, false}},
      {"sscanf", {1, true, -1, nullptr, false}},
      // glibc's <stdio.h> renames the scanf family to its C99 versions
      {"__isoc99_scanf", {0, true, -1, nullptr, false}},
      {"__isoc99_fscanf", {1, true, -1, nullptr, false}},
      {"__isoc99_sscanf", {1, true, -1, nullptr, false}}};
  return table;
}

class CallRewriter {
public:
  explicit CallRewriter(Module &module) : module(module), ctx(module.getContext()) {}

  bool rewrite(CallInst *call) {
    if (auto *transfer = dyn_cast<MemIntrinsic>(call)) return rewriteLargeTransfer(transfer);
    Function *callee = call->getCalledFunction();
    if (!callee || !callee->isDeclaration()) return false;
    StringRef name = callee->getName();
    if (!mayTouchFar(call) && !alwaysRedirected(name)) return false;
    auto redirect = redirects().find(name);
    if (redirect != redirects().end()) {
      report(call, name, redirect->second);
      call->setCalledFunction(module.getOrInsertFunction(redirect->second, call->getFunctionType()));
      return true;
    }
    bool changed = false;
    auto strings = stringArgs().find(name);
    if (strings != stringArgs().end())
      for (unsigned i : strings->second) changed |= bounce(call, i, size(0), nullptr);
    auto format = formatFunctions().find(name);
    if (format != formatFunctions().end()) changed |= rewriteFormatted(call, format->second);
    return changed;
  }

  // A %s argument the AST stage marked (ast/format_marks.h): the marker goes, and the call that
  // takes the string gets a bounce copy of it.
  bool resolveFormatMark(CallInst *mark) {
    Value *string = mark->getArgOperand(0);
    auto *call = mark->hasOneUse() ? dyn_cast<CallInst>(mark->user_back()) : nullptr;
    int index = -1;
    for (unsigned i = 0; call && i < call->arg_size(); i++)
      if (call->getArgOperand(i) == mark) index = (int)i;
    IRBuilder<> builder(mark);
    mark->replaceAllUsesWith(builder.CreatePointerCast(string, mark->getType()));
    mark->eraseFromParent();
    if (index >= 0) bounce(call, (unsigned)index, size(0), nullptr);
    return true;
  }

private:
  static bool mayTouchFar(CallInst *call) {
    for (Value *arg : call->args())
      if (arg->getType()->isPointerTy() && !isProvablyLocal(arg)) return true;
    return false;
  }

  bool rewriteLargeTransfer(MemIntrinsic *mem) {
    auto *length = dyn_cast<ConstantInt>(mem->getLength());
    if (length && length->getZExtValue() <= 4096) return false; // barriers handle it
    bool far = !isProvablyLocal(mem->getRawDest());
    if (auto *transfer = dyn_cast<MemTransferInst>(mem))
      far |= !isProvablyLocal(transfer->getRawSource());
    if (!far) return false;
    IRBuilder<> builder(mem);
    Type *bytePtr = builder.getInt8PtrTy(), *sizeTy = builder.getInt64Ty();
    Value *len = builder.CreateZExtOrTrunc(mem->getLength(), sizeTy);
    Value *dest = builder.CreatePointerCast(mem->getRawDest(), bytePtr);
    if (auto *set = dyn_cast<MemSetInst>(mem)) {
      FunctionCallee fn = module.getOrInsertFunction(
          "far_memset", bytePtr, bytePtr, builder.getInt32Ty(), sizeTy);
      builder.CreateCall(fn, {dest, builder.CreateZExt(set->getValue(), builder.getInt32Ty()), len});
    } else {
      auto *transfer = cast<MemTransferInst>(mem);
      const char *name = isa<MemMoveInst>(mem) ? "far_memmove" : "far_memcpy";
      FunctionCallee fn = module.getOrInsertFunction(name, bytePtr, bytePtr, bytePtr, sizeTy);
      builder.CreateCall(fn, {dest, builder.CreatePointerCast(transfer->getRawSource(), bytePtr), len});
    }
    report(mem, mem->getCalledFunction()->getName(), "the runtime's far-aware version");
    mem->eraseFromParent();
    return true;
  }

  // Argument I goes through a local bounce buffer: a copy of IN_SIZE bytes (0: the string), or
  // with SCRATCH an uninitialised buffer of IN_SIZE bytes; OUT_SIZE (if any) bytes are copied
  // back after the call (0: the string).
  bool bounce(CallInst *call, unsigned i, Value *inSize, Value *outSize, bool scratch = false) {
    if (i >= call->arg_size()) return false;
    Value *original = call->getArgOperand(i);
    if (!original->getType()->isPointerTy() || isProvablyLocal(original)) return false;
    Type *bytePtr = Type::getInt8PtrTy(ctx), *sizeTy = Type::getInt64Ty(ctx);
    Type *voidTy = Type::getVoidTy(ctx);
    IRBuilder<> before(call);
    Value *far = before.CreatePointerCast(original, bytePtr);
    FunctionCallee in = module.getOrInsertFunction(
        scratch ? "farcc_bounce_scratch" : "farcc_bounce_in", bytePtr, bytePtr, sizeTy);
    Value *local = before.CreateCall(in, {far, before.CreateZExtOrTrunc(inSize, sizeTy)});
    call->setArgOperand(i, before.CreatePointerCast(local, original->getType()));
    report(call, call->getCalledFunction()->getName(), ("bounce buffer for argument " + Twine(i)).str());
    IRBuilder<> after(call->getNextNode());
    after.SetCurrentDebugLocation(RuntimeApi::locationNear(call));
    if (outSize)
      after.CreateCall(module.getOrInsertFunction("farcc_bounce_out", voidTy, bytePtr, bytePtr, sizeTy),
                       {far, local, after.CreateZExtOrTrunc(outSize, sizeTy)});
    after.CreateCall(module.getOrInsertFunction("farcc_bounce_release", voidTy, bytePtr, bytePtr),
                     {local, far});
    return true;
  }

  // -Rpass=farpass: which libc call was redirected or bounced.
  void report(CallInst *call, StringRef from, StringRef to) {
    OptimizationRemarkEmitter(call->getFunction()).emit([&] {
      return OptimizationRemark("farpass", "Libc", call) << from << " -> " << to;
    });
  }

  Value *size(uint64_t bytes) { return ConstantInt::get(Type::getInt64Ty(ctx), bytes); }

  bool rewriteFormatted(CallInst *call, const FormatFunction &fn) {
    bool changed = false;
    if (fn.farDest && !isProvablyLocal(call->getArgOperand(0))) {
      report(call, call->getCalledFunction()->getName(), fn.farDest);
      call->setCalledFunction(module.getOrInsertFunction(fn.farDest, call->getFunctionType()));
      changed = true;
    }
    if (fn.pointerDest) changed |= bounce(call, 0, size(sizeof(void *)), size(sizeof(void *)));
    if (fn.sizedDest >= 0) {
      Value *destSize = call->getArgOperand(fn.sizedDest + 1);
      changed |= bounce(call, fn.sizedDest, destSize, destSize);
    }
    StringRef format;
    if (fn.format >= call->arg_size() || !getConstantStringInfo(call->getArgOperand(fn.format), format))
      return changed;
    unsigned first = fn.format + 1;
    if (!fn.scanf) {
      for (const FormatArg &arg : printfStringArgs(format))
        changed |= bounce(call, first + arg.index, size(0), nullptr);
      return changed;
    }
    for (const FormatArg &arg : scanfDestinations(format)) {
      bool unbounded = arg.string && arg.size == 0;
      changed |= bounce(call, first + arg.index, size(unbounded ? kUnboundedScanf : arg.size),
                        size(arg.size), unbounded);
    }
    return changed;
  }

  Module &module;
  LLVMContext &ctx;
};

} // namespace

bool isInteropFunction(StringRef name) {
  return redirects().count(name) || stringArgs().count(name) || formatFunctions().count(name);
}

PreservedAnalyses LibcCallPass::run(Function &fn, FunctionAnalysisManager &) {
  if (!isInstrumentable(fn)) return PreservedAnalyses::all();
  CallRewriter rewriter(*fn.getParent());
  bool changed = false;
  SmallVector<CallInst *, 16> calls, marks;
  for (Instruction &inst : instructions(fn))
    if (auto *call = dyn_cast<CallInst>(&inst))
      (call->getCalledFunction() && call->getCalledFunction()->getName() == "__far_format_string"
           ? marks
           : calls)
          .push_back(call);
  for (CallInst *mark : marks) changed |= rewriter.resolveFormatMark(mark);
  for (CallInst *call : calls) changed |= rewriter.rewrite(call);
  return changed ? PreservedAnalyses::none() : PreservedAnalyses::all();
}

} // namespace farpass
