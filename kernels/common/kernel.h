// The descriptor shape shared by the simple element-wise families (vec, rmsnorm, ...).
#pragma once

#include <cstdint>

#include "arch/isa.h"

namespace lutra::kernels {

// `name` follows the grammar lutra_<family>_<op>_<type>_u<unroll>[v]__<isa level>, e.g.
// lutra_vec_dot_f32_u32__avx2. The unroll lives only here; tests check the name against it.
template <typename Fn>
struct Kernel {
  const char* name;
  arch::IsaSet isa;        // features the kernel needs (exactly one level, see arch/isa.h)
  uint32_t unroll;         // elements per main-loop iteration; RVV: vector registers ("u4v")
  bool unroll_in_vectors;  // true for VLEN-agnostic kernels whose tile scales with VLEN
  Fn fn;
};

}  // namespace lutra::kernels

// Builds a descriptor whose name is the function's own name, so the two cannot drift.
#define LUTRA_KERNEL(prefix, fn, isa, unroll) \
  { prefix #fn, isa, unroll, false, fn }
#define LUTRA_KERNEL_V(prefix, fn, isa, vectors) \
  { prefix #fn, isa, vectors, true, fn }
