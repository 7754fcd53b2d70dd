// Declarations of every lutgemm variant (registry.cc and tests only). Each ISA file defines
// its variants for b = 1..4 from one template.
#pragma once

#include "kernels/lutgemm/lutgemm.h"

#define LUTRA_DECLARE_GEMM(name)                                                             \
  void name(const Weights& w, const Tables& t, size_t n, size_t tile_begin, size_t tile_end, \
            float* y, size_t y_stride);
#define LUTRA_DECLARE_GEMM_BITS(prefix, suffix) \
  LUTRA_DECLARE_GEMM(prefix##1##suffix)         \
  LUTRA_DECLARE_GEMM(prefix##2##suffix)         \
  LUTRA_DECLARE_GEMM(prefix##3##suffix)         \
  LUTRA_DECLARE_GEMM(prefix##4##suffix)

namespace lutra::kernels::lutgemm {

LUTRA_DECLARE_GEMM_BITS(w, _32x1g4__scalar)
LUTRA_DECLARE_GEMM_BITS(w, a8_32x1g4__scalar)
LUTRA_DECLARE_GEMM_BITS(w, _32x2g4__avx2)
LUTRA_DECLARE_GEMM_BITS(w, a8_32x1g4__avx2)
LUTRA_DECLARE_GEMM_BITS(w, _32x4g4__avx512)
LUTRA_DECLARE_GEMM_BITS(w, a8_32x2g4__avx512)
LUTRA_DECLARE_GEMM_BITS(w, a8_32x8g4__avx512vnni)
LUTRA_DECLARE_GEMM_BITS(w, _32x4g4__avx512icl)
LUTRA_DECLARE_GEMM_BITS(w, a8_32x2g4__avx512icl)
LUTRA_DECLARE_GEMM_BITS(w, _32x4g4rq__avx512icl)
LUTRA_DECLARE_GEMM_BITS(w, a8_32x2g4rq__avx512icl)
LUTRA_DECLARE_GEMM_BITS(w, a8_32x8g4rq__avx512icl)
LUTRA_DECLARE_GEMM(w3_32x8g4rq__avx512icl)
LUTRA_DECLARE_GEMM(w4_32x8g4rq__avx512icl)
LUTRA_DECLARE_GEMM(w3_32x8g4__avx512vnni)
LUTRA_DECLARE_GEMM(w4_32x8g4__avx512vnni)
// NEON: nr depends on the register file (AArch64 32 vector registers, ARMv7 16).
#if defined(__aarch64__)
LUTRA_DECLARE_GEMM_BITS(w, _32x4g4__neon)
LUTRA_DECLARE_GEMM_BITS(w, a8_32x2g4__neon)
#else
LUTRA_DECLARE_GEMM_BITS(w, _32x2g4__neon)
LUTRA_DECLARE_GEMM_BITS(w, a8_32x1g4__neon)
#endif
LUTRA_DECLARE_GEMM_BITS(w, _32x2g4__rvv)
LUTRA_DECLARE_GEMM_BITS(w, a8_32x1g4__rvv)

}  // namespace lutra::kernels::lutgemm

#undef LUTRA_DECLARE_GEMM_BITS
#undef LUTRA_DECLARE_GEMM
