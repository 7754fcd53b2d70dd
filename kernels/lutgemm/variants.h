// Declarations of every lutgemm variant, from the list (kernels.inc); registry.cc and tests
// only. Each is defined in the file of its ISA.
#pragma once

#include "kernels/common/isa_list.h"
#include "kernels/lutgemm/lutgemm.h"

namespace lutra::kernels::lutgemm {

#define LUTRA_LUTGEMM(name, ...) LUTRA_DECLARE_KERNEL(GemmFn, name)
#include "kernels/lutgemm/kernels.inc"

}  // namespace lutra::kernels::lutgemm

// Defines the variant `name` (declared above) as a call of the GemmFn-shaped function after it,
// e.g. LUTRA_LUTGEMM_DEFINE(w2_32x2g4__avx2, Gemm<Avx2, 2, false, 2>): each ISA file writes its
// variants' names out in full, so that grep finds them.
#define LUTRA_LUTGEMM_DEFINE(name, ...)                                                      \
  void name(const Weights& w, const Tables& t, size_t n, size_t tile_begin, size_t tile_end, \
            float* y, size_t y_stride) {                                                     \
    __VA_ARGS__(w, t, n, tile_begin, tile_end, y, y_stride);                                 \
  }
