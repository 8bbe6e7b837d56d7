// A small reader of printf/scanf conversion specifications (C11 7.21.6), enough to map each
// conversion to its argument and to the size it writes.
#include "format_args.h"

#include <cctype>
#include <cstring>
#include <string>

namespace farpass {
namespace {

struct Cursor {
  llvm::StringRef text;
  size_t pos = 0;
  char peek() const { return pos < text.size() ? text[pos] : '\0'; }
  char next() { return pos < text.size() ? text[pos++] : '\0'; }
  uint64_t number() {
    uint64_t n = 0;
    while (isdigit((unsigned char)peek())) n = n * 10 + (next() - '0');
    return n;
  }
  std::string lengthModifier() {
    std::string mod;
    while (std::strchr("hljztLq", peek()) && peek()) mod += next();
    return mod;
  }
};

uint64_t integerSize(const std::string &mod) {
  if (mod == "hh") return 1;
  if (mod == "h") return 2;
  if (mod.empty()) return 4;
  return 8;
}

uint64_t floatSize(const std::string &mod) {
  if (mod == "l") return 8;
  if (mod == "L") return 16;
  return 4;
}

} // namespace

std::vector<FormatArg> printfStringArgs(llvm::StringRef format) {
  std::vector<FormatArg> result;
  Cursor c{format};
  unsigned arg = 0;
  while (c.peek()) {
    if (c.next() != '%') continue;
    if (c.peek() == '%') { c.next(); continue; }
    while (std::strchr("-+ #0'", c.peek()) && c.peek()) c.next();
    if (c.peek() == '*') { c.next(); arg++; } else c.number();
    if (c.peek() == '.') {
      c.next();
      if (c.peek() == '*') { c.next(); arg++; } else c.number();
    }
    c.lengthModifier();
    char conversion = c.next();
    if (!conversion) break;
    if (conversion == 's') result.push_back({arg, true, 0});
    arg++;
  }
  return result;
}

std::vector<FormatArg> scanfDestinations(llvm::StringRef format) {
  std::vector<FormatArg> result;
  Cursor c{format};
  unsigned arg = 0;
  while (c.peek()) {
    if (c.next() != '%') continue;
    if (c.peek() == '%') { c.next(); continue; }
    bool assigned = c.peek() != '*';
    if (!assigned) c.next();
    uint64_t width = c.number();
    std::string mod = c.lengthModifier();
    char conversion = c.next();
    if (conversion == '[') {
      if (c.peek() == ']') c.next();
      while (c.peek() && c.next() != ']') {}
    }
    if (!conversion || !assigned) continue;
    FormatArg dest{arg++, false, 0};
    if (std::strchr("diouxXn", conversion)) dest.size = integerSize(mod);
    else if (std::strchr("aAeEfFgG", conversion)) dest.size = floatSize(mod);
    else if (conversion == 'p') dest.size = 8;
    else if (conversion == 'c') dest.size = width ? width : 1;
    else dest = {dest.index, true, width ? width + 1 : 0}; // s, [
    result.push_back(dest);
  }
  return result;
}

} // namespace farpass
