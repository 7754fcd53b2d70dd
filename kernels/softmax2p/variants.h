// Declarations of every softmax2p kernel variant; each is defined in the file of its ISA.
#pragma once

#include <cstddef>

namespace lutra::kernels::softmax2p {

void softmax2p_f32_u4__scalar(size_t n, const float* x, const float* mask, float scale, float* y);
void softmax3p_f32_u4__scalar(size_t n, const float* x, const float* mask, float scale, float* y);
void softmax3s_f32_u4__scalar(size_t n, const float* x, const float* mask, float scale, float* y);
void softmax2p_f32_u32__avx2(size_t n, const float* x, const float* mask, float scale, float* y);
void softmax3p_f32_u32__avx2(size_t n, const float* x, const float* mask, float scale, float* y);
void softmax3s_f32_u32__avx2(size_t n, const float* x, const float* mask, float scale, float* y);
void softmax2p_f32_u64__avx512(size_t n, const float* x, const float* mask, float scale, float* y);
void softmax3p_f32_u64__avx512(size_t n, const float* x, const float* mask, float scale, float* y);
void softmax3s_f32_u64__avx512(size_t n, const float* x, const float* mask, float scale, float* y);
void softmax2p_f32_u16__neon(size_t n, const float* x, const float* mask, float scale, float* y);
void softmax3p_f32_u16__neon(size_t n, const float* x, const float* mask, float scale, float* y);
void softmax3s_f32_u16__neon(size_t n, const float* x, const float* mask, float scale, float* y);
void softmax2p_f32_u2v__rvv(size_t n, const float* x, const float* mask, float scale, float* y);
void softmax3p_f32_u2v__rvv(size_t n, const float* x, const float* mask, float scale, float* y);
void softmax3s_f32_u2v__rvv(size_t n, const float* x, const float* mask, float scale, float* y);

}  // namespace lutra::kernels::softmax2p
