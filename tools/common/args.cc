#include "tools/common/args.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace lutra::tools {
namespace {
std::string g_tool = "lutra";
}  // namespace

void SetToolName(const char* name) {
  g_tool = name;
}

const char* ToolName() {
  return g_tool.c_str();
}

void Fail(const std::string& message) {
  std::fprintf(stderr, "%s: %s\n", g_tool.c_str(), message.c_str());
  std::exit(1);
}

void UsageError(const std::string& message) {
  std::fprintf(stderr, "%s: %s (see --help)\n", g_tool.c_str(), message.c_str());
  std::exit(2);
}

bool ParseInt(const std::string& s, int64_t lo, int64_t hi, int64_t* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end == s.c_str() || *end != '\0' || v < lo || v > hi) return false;
  *out = v;
  return true;
}

Args::Args(int argc, char** argv) : args_(argv + 1, argv + argc) {}

std::string Args::Flag() {
  return args_[i_++];
}

std::string Args::Value(const std::string& flag) {
  if (i_ >= args_.size()) UsageError("missing value after " + flag);
  return args_[i_++];
}

int64_t Args::Int(const std::string& flag, int64_t lo, int64_t hi) {
  const std::string v = Value(flag);
  int64_t out = 0;
  if (!ParseInt(v, lo, hi, &out)) {
    UsageError(flag + " " + v + ": expected an integer in [" + std::to_string(lo) + ", " +
               std::to_string(hi) + "]");
  }
  return out;
}

double Args::Real(const std::string& flag, double lo, double hi) {
  const std::string v = Value(flag);
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || errno != 0 || *end != '\0' || !std::isfinite(d) || d < lo || d > hi) {
    std::ostringstream range;
    range << "[" << lo << ", " << hi << "]";
    UsageError(flag + " " + v + ": expected a number in " + range.str());
  }
  return d;
}

std::vector<std::string> Args::StringList(const std::string& flag) {
  const std::string v = Value(flag);
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    const size_t comma = v.find(',', start);
    const std::string item =
        v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) UsageError(flag + " " + v + ": empty item in the list");
    out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::vector<int64_t> Args::IntList(const std::string& flag, int64_t lo, int64_t hi) {
  std::vector<int64_t> out;
  for (const std::string& item : StringList(flag)) {
    int64_t v = 0;
    if (!ParseInt(item, lo, hi, &v)) {
      UsageError(flag + ": '" + item + "' is not an integer in [" + std::to_string(lo) + ", " +
                 std::to_string(hi) + "]");
    }
    out.push_back(v);
  }
  return out;
}

}  // namespace lutra::tools
