// Every kernel operation the engine dispatches, with a way to ask which variant a feature set
// gets and which variants exist. Used by lutra-sysinfo (through the C API), the CI summary and
// tests. The choice is read from the KernelConfig of the feature set (kernel_config.h), the one
// the operators take their function pointers from: what is reported is what runs.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "arch/isa.h"

namespace lutra::engine {

struct KernelVariant {
  const char* name;
  arch::IsaSet isa;
};

struct KernelOp {
  const char* op;  // "vec.dot", "rmsnorm", ...
  // The variant KernelConfig::For(features) runs (never null: every op has a scalar variant).
  const char* (*selected)(arch::IsaSet features);
  // Every compiled variant, best first.
  std::vector<KernelVariant> (*variants)();
};

std::span<const KernelOp> KernelOps();

}  // namespace lutra::engine
