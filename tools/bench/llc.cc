#include "tools/bench/llc.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "lutra/lutra.h"

namespace lutra::tools {
namespace {

bool ReadLine(const std::string& path, std::string* line) {
  std::ifstream in(path);
  return static_cast<bool>(std::getline(in, *line));
}

// "32768K", "1M", "512": sysfs sizes are bytes with an optional K/M/G suffix.
uint64_t ParseSize(const std::string& s) {
  size_t end = 0;
  uint64_t v = 0;
  try {
    v = std::stoull(s, &end);
  } catch (...) {
    return 0;
  }
  const char unit = end < s.size() ? s[end] : '\0';
  if (unit == 'K') return v << 10;
  if (unit == 'M') return v << 20;
  if (unit == 'G') return v << 30;
  return v;
}

LastLevelCache FromSysfs() {
  LastLevelCache best;
  const std::string base = "/sys/devices/system/cpu/cpu0/cache/index";
  // index0.. are dense; a gap ends the list.
  for (int i = 0; i < 16; ++i) {
    const std::string dir = base + std::to_string(i) + "/";
    std::string level, type, size;
    if (!ReadLine(dir + "level", &level)) break;
    if (!ReadLine(dir + "type", &type) || !ReadLine(dir + "size", &size)) continue;
    if (type == "Instruction") continue;  // decode reads data
    const int l = std::atoi(level.c_str());
    const uint64_t bytes = ParseSize(size);
    if (bytes != 0 && (l > best.level || (l == best.level && bytes > best.bytes))) {
      best.level = l;
      best.bytes = bytes;
    }
  }
  return best;
}

}  // namespace

LastLevelCache FindLastLevelCache() {
  LastLevelCache c = FromSysfs();
  if (c.bytes != 0) return c;
  // Containers and some kernels (Arm boards without cache topology in the device tree) have
  // no sysfs cache entries; the library reads the CPU's own description (cpuinfo).
  lutra_cpu_info info;
  lutra_cpu_info_init(&info);
  (void)lutra_get_cpu_info(&info);  // ISA_UNAVAILABLE still fills the cache sizes
  if (info.l3_bytes != 0) return {info.l3_bytes, 3};
  if (info.l2_bytes != 0) return {info.l2_bytes, 2};
  return c;
}

}  // namespace lutra::tools
