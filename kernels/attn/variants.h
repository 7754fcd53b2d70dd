// Declarations of every attn kernel variant; defined in the file of their ISA.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lutra::kernels::attn {

#define LUTRA_ATTN_DECLARE(suffix)                                                       \
  void qk_f16_##suffix(size_t rows, size_t d, size_t n, const float* q, size_t q_stride, \
                       const uint16_t* k, float* s, size_t s_stride);                    \
  void qk_f32_##suffix(size_t rows, size_t d, size_t n, const float* q, size_t q_stride, \
                       const float* k, float* s, size_t s_stride);                       \
  void pv_f16_##suffix(size_t rows, size_t d, size_t n, const float* p, size_t p_stride, \
                       const uint16_t* v, float* o, size_t o_stride);                    \
  void pv_f32_##suffix(size_t rows, size_t d, size_t n, const float* p, size_t p_stride, \
                       const float* v, float* o, size_t o_stride);
#define LUTRA_ATTN_DECLARE_BF16(suffix)                                                   \
  void qk_bf16_##suffix(size_t rows, size_t d, size_t n, const float* q, size_t q_stride, \
                        const uint16_t* k, float* s, size_t s_stride);                    \
  void pv_bf16_##suffix(size_t rows, size_t d, size_t n, const float* p, size_t p_stride, \
                        const uint16_t* v, float* o, size_t o_stride);

LUTRA_ATTN_DECLARE(u4__scalar)
LUTRA_ATTN_DECLARE(u8__avx2)
LUTRA_ATTN_DECLARE(u16__avx512)
LUTRA_ATTN_DECLARE(u16__neon)
// bf16 caches: widened to fp32 by shifts (every ISA above), or bf16 dot products.
LUTRA_ATTN_DECLARE_BF16(u4__scalar)
LUTRA_ATTN_DECLARE_BF16(u8__avx2)
LUTRA_ATTN_DECLARE_BF16(u16__avx512)
LUTRA_ATTN_DECLARE_BF16(u16__neon)
LUTRA_ATTN_DECLARE_BF16(u32__avx512bf16)

#undef LUTRA_ATTN_DECLARE
#undef LUTRA_ATTN_DECLARE_BF16

}  // namespace lutra::kernels::attn
