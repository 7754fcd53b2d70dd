// The descriptor shape shared by the simple element-wise families (vec, rmsnorm, ...).
#pragma once

#include <cstdint>

#include "arch/isa.h"
#include "kernels/common/isa_list.h"

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

// The registry entry of one kernel-list line (kernels/<family>/kernels.inc) for Kernel<Fn>: the
// descriptor whose name is the function's own name, so the two cannot drift, followed by a
// comma; nothing when the ISA is not compiled in (kernels/common/isa_list.h).
#define LUTRA_KERNEL_ENTRY(prefix, fn, isa, unroll, in_vectors) \
  LUTRA_IF_ISA(isa, {prefix #fn, LUTRA_ISA_LEVEL(isa), unroll, in_vectors, fn}, )
