// Declarations of every f16 kernel variant; each is defined in the file of its ISA.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lutra::kernels::f16 {

#define LUTRA_F16_DECLARE(level, unroll)                                           \
  void tof32_f16_u##unroll##__##level(size_t n, const uint16_t* x, float* y);      \
  void fromf32_f16_u##unroll##__##level(size_t n, const float* x, uint16_t* y);    \
  float dot_f16_u##unroll##__##level(size_t n, const uint16_t* x, const float* y); \
  void axpy_f16_u##unroll##__##level(size_t n, float a, const uint16_t* x, float* y);

LUTRA_F16_DECLARE(scalar, 4)
LUTRA_F16_DECLARE(avx2, 32)
LUTRA_F16_DECLARE(avx512, 64)
LUTRA_F16_DECLARE(neon, 16)

#undef LUTRA_F16_DECLARE

}  // namespace lutra::kernels::f16
