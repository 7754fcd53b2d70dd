#include "bench/common/bench_util.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>

#include "arch/detect.h"

namespace lutra::bench {

arch::IsaSet Features() {
  const arch::ProcessIsa& p = arch::Process();
  if (!p.error.empty()) {
    std::fprintf(stderr, "lutra-kernel-bench: %s\n", p.error.c_str());
    std::exit(2);
  }
  return p.features;
}

bool Runnable(const char* variant, arch::IsaSet isa) {
  const arch::IsaSet missing = isa & ~Features();
  if (missing == 0) return true;
  static std::mutex mu;
  static std::set<std::string> reported;
  std::lock_guard<std::mutex> lock(mu);
  if (reported.insert(variant).second) {
    std::fprintf(stderr, "skipped %s: needs %s\n", variant, arch::FeatureNames(missing).c_str());
  }
  return false;
}

size_t LastLevelCacheBytes() {
  const arch::HostCpu& host = arch::Host();
  if (host.l3_bytes != 0) return host.l3_bytes;
  if (host.l2_bytes != 0) return host.l2_bytes;
  return size_t{8} << 20;
}

size_t RotationCopies(size_t bytes) {
  const size_t target = 4 * LastLevelCacheBytes();
  const size_t copies = bytes == 0 ? 2 : (target + bytes - 1) / bytes;
  return copies < 2 ? 2 : copies;
}

}  // namespace lutra::bench
