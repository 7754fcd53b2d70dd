// Declarations of every ternary3 variant, from the list (kernels.inc); each is defined in the
// file of its ISA.
#pragma once

#include "kernels/common/isa_list.h"
#include "kernels/ternary3/ternary3.h"

namespace lutra::kernels::ternary3 {

// Digit d of e = 9·c0 + 3·c1 + c2 in balanced ternary (c_d ∈ {−1, 0, +1}) for the table
// entries e < 14, and 0 for the unused entries 14 and 15: V[e] = Σ_d c_d(e)·a_d.
constexpr int BalancedDigit(int e, int d) {
  if (e >= 14) return 0;
  int v = e, c = 0;
  for (int i = 2; i >= d; --i) {
    c = v % 3 == 2 ? -1 : v % 3;
    v = (v - c) / 3;
  }
  return c;
}

#define LUTRA_TERNARY3(name, build, gemm, ...) \
  LUTRA_DECLARE_KERNEL(BuildFn, build) LUTRA_DECLARE_KERNEL(GemmFn, gemm)
#include "kernels/ternary3/kernels.inc"

}  // namespace lutra::kernels::ternary3
