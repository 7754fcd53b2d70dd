// Declarations of every vec kernel variant. Only registry.cc (and tests through it) refer to
// these; each is defined in the file of its ISA.
#pragma once

#include <cstddef>

namespace lutra::kernels::vec {

float dot_f32_u4__scalar(size_t n, const float* x, const float* y);
void axpy_f32_u4__scalar(size_t n, float a, const float* x, float* y);
void scale_f32_u4__scalar(size_t n, float a, const float* x, float* y);
void add_f32_u4__scalar(size_t n, const float* a, const float* b, float* y);
void mul_f32_u4__scalar(size_t n, const float* a, const float* b, float* y);
void silu_f32_u1__scalar(size_t n, const float* x, float* y);

float dot_f32_u32__avx2(size_t n, const float* x, const float* y);
void axpy_f32_u32__avx2(size_t n, float a, const float* x, float* y);
void scale_f32_u32__avx2(size_t n, float a, const float* x, float* y);
void add_f32_u32__avx2(size_t n, const float* a, const float* b, float* y);
void mul_f32_u32__avx2(size_t n, const float* a, const float* b, float* y);
void silu_f32_u32__avx2(size_t n, const float* x, float* y);

float dot_f32_u64__avx512(size_t n, const float* x, const float* y);
void axpy_f32_u64__avx512(size_t n, float a, const float* x, float* y);
void scale_f32_u64__avx512(size_t n, float a, const float* x, float* y);
void add_f32_u64__avx512(size_t n, const float* a, const float* b, float* y);
void mul_f32_u64__avx512(size_t n, const float* a, const float* b, float* y);
void silu_f32_u64__avx512(size_t n, const float* x, float* y);

float dot_f32_u16__neon(size_t n, const float* x, const float* y);
void axpy_f32_u16__neon(size_t n, float a, const float* x, float* y);
void scale_f32_u16__neon(size_t n, float a, const float* x, float* y);
void add_f32_u16__neon(size_t n, const float* a, const float* b, float* y);
void mul_f32_u16__neon(size_t n, const float* a, const float* b, float* y);
void silu_f32_u16__neon(size_t n, const float* x, float* y);

float dot_f32_u8v__rvv(size_t n, const float* x, const float* y);
void axpy_f32_u8v__rvv(size_t n, float a, const float* x, float* y);
void scale_f32_u8v__rvv(size_t n, float a, const float* x, float* y);
void add_f32_u8v__rvv(size_t n, const float* a, const float* b, float* y);
void mul_f32_u8v__rvv(size_t n, const float* a, const float* b, float* y);
void silu_f32_u2v__rvv(size_t n, const float* x, float* y);

}  // namespace lutra::kernels::vec
