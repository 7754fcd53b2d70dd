#include "tests/testing/variant_log.h"

#include <cstdio>
#include <map>
#include <mutex>
#include <set>

#include "arch/detect.h"

namespace lutra::testing {
namespace {

struct Log {
  std::mutex mu;
  std::set<std::string> ran;
  std::map<std::string, std::string> skipped;
};

Log& TheLog() {
  static Log log;
  return log;
}

}  // namespace

void RecordRun(const std::string& variant) {
  std::lock_guard<std::mutex> lock(TheLog().mu);
  TheLog().ran.insert(variant);
}

void RecordSkip(const std::string& variant, const std::string& reason) {
  std::lock_guard<std::mutex> lock(TheLog().mu);
  TheLog().skipped.emplace(variant, reason);
}

void PrintVariantSummary() {
  Log& log = TheLog();
  std::lock_guard<std::mutex> lock(log.mu);
  if (log.ran.empty() && log.skipped.empty()) return;
  std::printf("[lutra] kernel variants run (%zu):", log.ran.size());
  for (const std::string& v : log.ran) std::printf(" %s", v.c_str());
  std::printf("\n[lutra] kernel variants skipped (%zu):", log.skipped.size());
  for (const auto& [v, reason] : log.skipped) std::printf(" %s (%s)", v.c_str(), reason.c_str());
  std::printf("\n");
}

arch::IsaSet TestFeatures() {
  const arch::ProcessIsa& process = arch::Process();
  if (!process.error.empty()) {
    std::fprintf(stderr, "lutra tests: %s\n", process.error.c_str());
    std::abort();
  }
  return process.features;
}

}  // namespace lutra::testing
