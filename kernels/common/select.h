// Registry selection shared by every kernel family.
//
// A family exposes, per operation, a table of descriptors ordered best first. Each descriptor
// has at least `name` and `isa` (the IsaSet it requires). Selection is a pure function of the
// table and the caller's feature flags, so tests can ask for any lower ISA.
#pragma once

#include <span>

#include "arch/isa.h"

namespace lutra::kernels {

// First descriptor in `table` whose required ISA is covered by `features`, or nullptr.
template <typename Desc>
const Desc* SelectFirst(std::span<const Desc> table, arch::IsaSet features) {
  for (const Desc& d : table) {
    if (arch::Supports(features, d.isa)) return &d;
  }
  return nullptr;
}

// Like SelectFirst, with an extra predicate on the descriptor (bit width, tile, ...).
template <typename Desc, typename Pred>
const Desc* SelectFirstIf(std::span<const Desc> table, arch::IsaSet features, Pred&& pred) {
  for (const Desc& d : table) {
    if (arch::Supports(features, d.isa) && pred(d)) return &d;
  }
  return nullptr;
}

}  // namespace lutra::kernels
