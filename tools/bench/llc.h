// The CPU's last-level cache, reported beside the roofline so a reader can tell whether a
// model's decode step (and the reference buffer the roofline divides by) fits in it.
#pragma once

#include <cstdint>

namespace lutra::tools {

struct LastLevelCache {
  uint64_t bytes = 0;  // 0 when unknown
  int level = 0;       // 3 for an L3, ...; 0 when unknown
};

// From sysfs (/sys/devices/system/cpu/cpu0/cache/index*/{level,type,size}: the highest level
// of a data or unified cache), else the library's CPU description (lutra_get_cpu_info), else
// unknown.
LastLevelCache FindLastLevelCache();

}  // namespace lutra::tools
