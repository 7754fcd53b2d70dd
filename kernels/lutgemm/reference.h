// The accuracy oracle for lutgemm: dequantize the unpacked (row-major) weights and multiply in
// double precision. Independent of the packed layout and of every kernel.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/packw/packw.h"

namespace lutra::kernels::lutgemm {

// y[t·m + row] = Σ_k scale·(q − z)·x[t·k + col] in double (z = (2^b − 1)/2 when symmetric).
void ReferenceGemm(const packw::Shape& shape, const packw::Unpacked& w, size_t n, const float* x,
                   double* y);

// The W·A8 integers of exact mode: per token xq = clamp(nearbyint(x·inv), ±127), inv =
// 127/max|x| (float); i2[(t·m + row)·groups + g] = Σ_{k∈g} 2·(q − z)·xq (exact, 2z integer);
// act_scale[t] = max|x|/127.
void ReferenceExact(const packw::Shape& shape, const packw::Unpacked& w, size_t n, const float* x,
                    int64_t* i2, float* act_scale);

}  // namespace lutra::kernels::lutgemm
