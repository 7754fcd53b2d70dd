// Declarations of every rmsnorm kernel variant; each is defined in the file of its ISA.
#pragma once

#include <cstddef>

namespace lutra::kernels::rmsnorm {

void rmsnorm_f32_u4__scalar(size_t n, const float* x, const float* weight, float eps, float* y);
void rmsnorm_f32_u32__avx2(size_t n, const float* x, const float* weight, float eps, float* y);
void rmsnorm_f32_u64__avx512(size_t n, const float* x, const float* weight, float eps, float* y);
void rmsnorm_f32_u16__neon(size_t n, const float* x, const float* weight, float eps, float* y);
void rmsnorm_f32_u8v__rvv(size_t n, const float* x, const float* weight, float eps, float* y);

}  // namespace lutra::kernels::rmsnorm
