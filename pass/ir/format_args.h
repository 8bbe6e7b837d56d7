// Reads a constant printf/scanf format string and tells which variadic arguments are strings or
// destinations that may need a bounce buffer, and how large a scanf destination is.
#ifndef FARPASS_IR_FORMAT_ARGS_H
#define FARPASS_IR_FORMAT_ARGS_H

#include "llvm/ADT/StringRef.h"

#include <vector>

namespace farpass {

struct FormatArg {
  unsigned index;  // position among the arguments after the format
  bool string;     // %s / %[ : a NUL-terminated string
  uint64_t size;   // scanf destination size in bytes; 0 for an unbounded string
};

// printf family: the %s arguments.
std::vector<FormatArg> printfStringArgs(llvm::StringRef format);
// scanf family: every assigned destination.
std::vector<FormatArg> scanfDestinations(llvm::StringRef format);

} // namespace farpass

#endif
