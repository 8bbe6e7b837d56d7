// The annotated IR of `--emit-rewritten` (see rewritten.h). -farpass-emit-rewritten writes it to
// <source file name>.far.ll in the current directory, -farpass-rewritten-file=PATH to PATH.
#include "rewritten.h"

#include "barriers.h"

#include "llvm/IR/AssemblyAnnotationWriter.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/InstrTypes.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormattedStream.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"

#include <map>
#include <memory>
#include <vector>

using namespace llvm;

namespace farpass {
namespace {

cl::opt<bool> emitRewritten("farpass-emit-rewritten", cl::init(false),
                            cl::desc("farpass: write the instrumented IR to <source>.far.ll"));
cl::opt<std::string> rewrittenFile("farpass-rewritten-file", cl::init(""),
                                   cl::desc("farpass: write the instrumented IR to this file"));

// The lines of the source files named by debug locations, read on first use.
class SourceLines {
public:
  StringRef line(const DILocation &where) {
    SmallString<256> path(where.getFilename());
    if (!sys::path::is_absolute(path)) sys::fs::make_absolute(where.getDirectory(), path);
    auto found = files.find(std::string(path));
    if (found == files.end()) found = files.emplace(std::string(path), read(path)).first;
    const std::vector<StringRef> &lines = found->second.lines;
    return where.getLine() <= lines.size() ? lines[where.getLine() - 1].trim() : StringRef();
  }

private:
  struct File {
    std::unique_ptr<MemoryBuffer> text;
    std::vector<StringRef> lines;
  };

  static File read(StringRef path) {
    File file;
    auto text = MemoryBuffer::getFile(path);
    if (!text) return file;
    file.text = std::move(*text);
    SmallVector<StringRef, 0> lines;
    file.text->getBuffer().split(lines, '\n');
    file.lines.assign(lines.begin(), lines.end());
    return file;
  }

  std::map<std::string, File> files;
};

class Annotator : public AssemblyAnnotationWriter {
public:
  void emitFunctionAnnot(const Function *, formatted_raw_ostream &) override { lastLine = 0; }

  // "; file.c:42: <the source line>" before the first instruction of each new source line.
  void emitInstructionAnnot(const Instruction *inst, formatted_raw_ostream &out) override {
    const DILocation *where = inst->getDebugLoc().get();
    if (!where || !where->getLine() || (where->getLine() == lastLine && where->getFile() == lastFile))
      return;
    lastLine = where->getLine();
    lastFile = where->getFile();
    out << "  ; " << sys::path::filename(where->getFilename()) << ":" << where->getLine() << ": "
        << sources.line(*where) << "\n";
  }

  // Marks the calls the IR stage inserted or redirected.
  void printInfoComment(const Value &value, formatted_raw_ostream &out) override {
    const auto *call = dyn_cast<CallBase>(&value);
    const Function *callee = call ? call->getCalledFunction() : nullptr;
    if (!callee) return;
    StringRef name = callee->getName();
    if (name.startswith("far_read") || name.startswith("far_write"))
      out << "  ; farmem: barrier";
    else if (name.startswith("far_scope_") || name.startswith("__far_scope_"))
      out << "  ; farmem: scope";
    else if (name.startswith("far_") || name.startswith("farcc_"))
      out << "  ; farmem: runtime";
  }

private:
  SourceLines sources;
  unsigned lastLine = 0;
  const DIFile *lastFile = nullptr;
};

// Removes every match of PATTERN from LINE, replacing it with WITH.
std::string replaceAll(std::string line, const Regex &pattern, StringRef with) {
  while (pattern.match(line)) line = pattern.sub(with, line);
  return line;
}

// FN's IR without debug-info intrinsics and metadata attachments (the annotations carry the
// source lines).
void printReadable(const Function &fn, Annotator &annotator, raw_ostream &out) {
  std::string text;
  raw_string_ostream printed(text);
  fn.print(printed, &annotator);
  static const Regex attachment(", ![a-z.]+ ![0-9]+"), header(" ![a-z.]+ ![0-9]+ [{]$");
  SmallVector<StringRef, 0> lines;
  StringRef(printed.str()).split(lines, '\n');
  out << "\n";
  for (StringRef line : lines)
    if (!line.contains("@llvm.dbg."))
      out << replaceAll(replaceAll(line.str(), attachment, ""), header, " {") << "\n";
}

std::string outputPath(const Module &module) {
  if (!rewrittenFile.empty()) return rewrittenFile;
  return (sys::path::filename(module.getSourceFileName()) + ".far.ll").str();
}

} // namespace

PreservedAnalyses RewrittenPrinterPass::run(Module &module, ModuleAnalysisManager &) {
  if (!emitRewritten && rewrittenFile.empty()) return PreservedAnalyses::all();
  std::string path = outputPath(module);
  std::error_code error;
  raw_fd_ostream out(path, error, sys::fs::OF_Text);
  if (error) {
    module.getContext().emitError("farpass: cannot write " + path + ": " + error.message());
    return PreservedAnalyses::all();
  }
  out << "; farcc --emit-rewritten: " << module.getSourceFileName()
      << " after the farmem IR stage.\n; Calls marked 'farmem:' were inserted or redirected by it."
         " Only the program's own functions are shown\n; (no types, globals, declarations, debug"
         " metadata or runtime header functions).\n";
  Annotator annotator;
  for (Function &fn : module)
    if (isInstrumentable(fn)) printReadable(fn, annotator, out);
  return PreservedAnalyses::all();
}

} // namespace farpass
