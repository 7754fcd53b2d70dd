// Command-line parsing shared by the tools: llama.cpp-style flags ("-m FILE", "--temp 0.7"),
// each value checked with a message naming the flag and the value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lutra::tools {

// Prints "<tool>: <message>" to stderr and exits with status 1 (2 for usage errors).
[[noreturn]] void Fail(const std::string& message);
[[noreturn]] void UsageError(const std::string& message);
void SetToolName(const char* name);
// The name SetToolName() set ("lutra" before), for messages printed by hand.
const char* ToolName();

class Args {
 public:
  Args(int argc, char** argv);
  bool Done() const { return i_ >= args_.size(); }
  // The current flag (advances past it).
  std::string Flag();
  // The value after the flag just read; a usage error when missing.
  std::string Value(const std::string& flag);
  std::string String(const std::string& flag) { return Value(flag); }
  int64_t Int(const std::string& flag, int64_t lo, int64_t hi);
  double Real(const std::string& flag, double lo, double hi);
  // "1,2,4" → {1, 2, 4}, each within [lo, hi].
  std::vector<int64_t> IntList(const std::string& flag, int64_t lo, int64_t hi);
  std::vector<std::string> StringList(const std::string& flag);

 private:
  std::vector<std::string> args_;
  size_t i_ = 0;
};

// Parses a whole decimal integer in [lo, hi]; false otherwise.
bool ParseInt(const std::string& s, int64_t lo, int64_t hi, int64_t* out);

}  // namespace lutra::tools
