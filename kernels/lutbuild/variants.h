// Declarations of every lutbuild variant (registry.cc and tests only).
#pragma once

#include <cstddef>
#include <cstdint>

namespace lutra::kernels::lutbuild {

void f32_g4__scalar(size_t n, size_t block, const float* x, uint8_t* tables, float* scale,
                    float* sum);
void a8_g4__scalar(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                   uint8_t* lo, uint8_t* hi, float* scale, float* sum);
void q8_g4__scalar(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                   int8_t* xq, float* scale, float* sum);
void q8b_g4__scalar(size_t n, size_t block, const float* x, int8_t* xq, float* scale, float* sum);
void f32_g4__avx2(size_t n, size_t block, const float* x, uint8_t* tables, float* scale,
                  float* sum);
void f32_g4__avx512(size_t n, size_t block, const float* x, uint8_t* tables, float* scale,
                    float* sum);
void a8_g4__avx2(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                 uint8_t* lo, uint8_t* hi, float* scale, float* sum);
void q8_g4__avx2(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                 int8_t* xq, float* scale, float* sum);
void a8_g4__avx512(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                   uint8_t* lo, uint8_t* hi, float* scale, float* sum);
void q8_g4__avx512(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                   int8_t* xq, float* scale, float* sum);
void q8b_g4__avx512(size_t n, size_t block, const float* x, int8_t* xq, float* scale, float* sum);
void f32_g4__neon(size_t n, size_t block, const float* x, uint8_t* tables, float* scale,
                  float* sum);
void a8_g4__neon(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                 uint8_t* lo, uint8_t* hi, float* scale, float* sum);
void f32_g4__rvv(size_t n, size_t block, const float* x, uint8_t* tables, float* scale, float* sum);
void a8_g4__rvv(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                uint8_t* lo, uint8_t* hi, float* scale, float* sum);

}  // namespace lutra::kernels::lutbuild
