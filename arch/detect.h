// What the host CPU offers, detected once, and the LUTRA_ISA cap applied to it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "arch/isa.h"

namespace lutra::arch {

struct HostCpu {
  bool detected = false;           // false when cpuinfo could not initialise (features stay 0)
  std::string name;                // marketing name where known, else the architecture
  IsaSet features = 0;             // every feature the CPU and OS support (not capped)
  uint32_t rvv_vlenb = 0;          // RISC-V vector register length in bytes, 0 without V
  uint32_t cores = 1;              // physical cores
  uint32_t performance_cores = 1;  // cores of the fastest micro-architecture (big cores)
  size_t l1d_bytes = 0, l2_bytes = 0, l3_bytes = 0;  // per-core L1d/L2, largest L3
};

// Detects the host once (thread-safe) and returns the cached result.
const HostCpu& Host();

// Levels compiled into this binary (LUTRA_ENABLE_<ISA>), as a feature union.
IsaSet CompiledFeatures();

// Applies a cap such as "avx2" to `host`. "" and "native" leave it unchanged. An unknown name,
// or a level whose features the host lacks, returns false with a message naming the problem,
// which starts with `label` and the cap ("LUTRA_ISA=neon needs NEON, ..."): the label names
// where the cap came from, so a user is pointed at the setting they actually made.
bool ApplyIsaCap(IsaSet host, std::string_view cap, IsaSet* capped, std::string* error,
                 std::string_view label = "LUTRA_ISA=");

struct ProcessIsa {
  IsaSet features = 0;  // host features capped by LUTRA_ISA
  std::string cap;      // the LUTRA_ISA value ("" when unset)
  std::string error;    // non-empty when LUTRA_ISA was invalid; features are then 0 (scalar)
};

// Host() capped by the LUTRA_ISA environment variable, computed once.
const ProcessIsa& Process();

}  // namespace lutra::arch
