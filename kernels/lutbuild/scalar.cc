// Portable table builders (lutbuild.h has the contract and formulas).
#include <algorithm>
#include <cmath>
#include <utility>

#include "kernels/lutbuild/variants.h"

namespace lutra::kernels::lutbuild {
namespace {

float At(const float* x, size_t n, size_t k) {
  return k < n ? x[k] : 0.0f;
}

}  // namespace

void f32_g4__scalar(size_t n, size_t block, const float* x, uint8_t* tables, float* scale,
                    float* sum) {
  const size_t blocks = (n + block - 1) / block, quads = block / 4;
  for (size_t b = 0; b < blocks; ++b) {
    const size_t k0 = b * block;
    float maxsum = 0.0f, s = 0.0f;
    for (size_t j = 0; j < quads; ++j) {
      float a = 0.0f;
      for (size_t u = 0; u < 4; ++u) {
        const float v = At(x, n, k0 + 4 * j + u);
        a += std::fabs(v);
        s += v;
      }
      maxsum = std::max(maxsum, a);
    }
    scale[b] = maxsum / 127.0f;
    sum[b] = s;
    const float inv = maxsum > 0.0f ? 127.0f / maxsum : 0.0f;
    for (size_t j = 0; j < quads; ++j) {
      const size_t k = k0 + 4 * j;
      const float x0 = At(x, n, k), x1 = At(x, n, k + 1), x2 = At(x, n, k + 2),
                  x3 = At(x, n, k + 3);
      uint8_t* t = tables + (b * quads + j) * 16;
      // Entries 8..15 (bit 3 set) are computed; 15 − t mirrors them with the opposite sign.
      for (int i = 0; i < 8; ++i) {
        const float v = x3 + ((i & 1) ? x0 : -x0) + ((i & 2) ? x1 : -x1) + ((i & 4) ? x2 : -x2);
        const int q = std::clamp(int(std::nearbyint(v * inv)), -127, 127);
        t[8 + i] = uint8_t(q + 128);
        t[7 - i] = uint8_t(-q + 128);
      }
    }
  }
}

void a8_g4__scalar(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                   uint8_t* lo, uint8_t* hi, float* scale, float* sum) {
  const size_t blocks = (n + block - 1) / block, quads = block / 4;
  for (size_t b = 0; b < blocks; ++b) {
    int s = 0;
    for (size_t j = 0; j < quads; ++j) {
      int xq[4];
      for (size_t u = 0; u < 4; ++u) {
        const float v = At(x, n, b * block + 4 * j + u);
        xq[u] = std::clamp(int(std::nearbyint(v * inv_scale)), -127, 127);
        s += xq[u];
      }
      uint8_t* tl = lo + (b * quads + j) * 16;
      uint8_t* th = hi + (b * quads + j) * 16;
      for (int i = 0; i < 8; ++i) {
        const int v = xq[3] + ((i & 1) ? xq[0] : -xq[0]) + ((i & 2) ? xq[1] : -xq[1]) +
                      ((i & 4) ? xq[2] : -xq[2]);
        for (const auto& [idx, val] : {std::pair{8 + i, v}, std::pair{7 - i, -v}}) {
          tl[idx] = uint8_t(val & 0xFF);
          th[idx] = uint8_t((val >> 8) + 128);
        }
      }
    }
    scale[b] = act_scale;
    sum[b] = float(s);
  }
}

void q8_g4__scalar(size_t n, size_t block, const float* x, float inv_scale, float act_scale,
                   int8_t* xq, float* scale, float* sum) {
  const size_t blocks = (n + block - 1) / block;
  for (size_t b = 0; b < blocks; ++b) {
    int s = 0;
    for (size_t i = b * block; i < (b + 1) * block; ++i) {
      const int v = i < n ? std::clamp(int(std::nearbyint(x[i] * inv_scale)), -127, 127) : 0;
      xq[i] = int8_t(v);
      s += v;
    }
    scale[b] = act_scale;
    sum[b] = float(s);
  }
}

void q8b_g4__scalar(size_t n, size_t block, const float* x, int8_t* xq, float* scale, float* sum) {
  const size_t blocks = (n + block - 1) / block;
  for (size_t b = 0; b < blocks; ++b) {
    float amax = 0.0f;
    for (size_t i = b * block; i < std::min(n, (b + 1) * block); ++i) {
      amax = std::max(amax, std::fabs(x[i]));
    }
    const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    int s = 0;
    for (size_t i = b * block; i < (b + 1) * block; ++i) {
      const int v = i < n ? std::clamp(int(std::nearbyint(x[i] * inv)), -127, 127) : 0;
      xq[i] = int8_t(v);
      s += v;
    }
    scale[b] = amax / 127.0f;
    sum[b] = float(s);
  }
}

}  // namespace lutra::kernels::lutbuild
