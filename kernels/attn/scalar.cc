// Portable attn kernels: the fallback and the baseline. Rows are processed four at a time so
// each K/V element is converted once per four rows.
#include <algorithm>
#include <cstring>

#include "kernels/attn/attn.h"
#include "kernels/attn/variants.h"
#include "kernels/f16/convert.h"

namespace lutra::kernels::attn {
namespace {

inline float Load(const float* p) {
  return *p;
}
inline float Load(const uint16_t* p) {
  return f16::HalfToFloat(*p);
}

template <typename T>
void Qk(size_t rows, size_t d, size_t n, const float* q, size_t qs, const T* k, float* s,
        size_t ss) {
  for (size_t r0 = 0; r0 < rows; r0 += 4) {
    const size_t nr = std::min<size_t>(4, rows - r0);
    for (size_t p = 0; p < n; ++p) {
      const T* kp = k + (p / kKeyBlock) * kKeyBlock * d + p % kKeyBlock;
      float acc[4] = {0, 0, 0, 0};
      for (size_t t = 0; t < d; ++t) {
        const float kv = Load(kp + t * kKeyBlock);
        for (size_t r = 0; r < nr; ++r) acc[r] += q[(r0 + r) * qs + t] * kv;
      }
      for (size_t r = 0; r < nr; ++r) s[(r0 + r) * ss + p] = acc[r];
    }
  }
}

template <typename T>
void Pv(size_t rows, size_t d, size_t n, const float* pr, size_t ps, const T* v, float* o,
        size_t os) {
  for (size_t r = 0; r < rows; ++r) std::fill(o + r * os, o + r * os + d, 0.0f);
  for (size_t p = 0; p < n; ++p) {
    for (size_t t = 0; t < d; ++t) {
      const float vv = Load(v + p * d + t);
      for (size_t r = 0; r < rows; ++r) o[r * os + t] += pr[r * ps + p] * vv;
    }
  }
}

inline float Bf16(uint16_t h) {
  const uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

// bf16 layouts of attn.h; Q and P stay fp32 (products widened, not rounded).
void QkBf16(size_t rows, size_t d, size_t n, const float* q, size_t qs, const uint16_t* k, float* s,
            size_t ss) {
  for (size_t r0 = 0; r0 < rows; r0 += 4) {
    const size_t nr = std::min<size_t>(4, rows - r0);
    for (size_t p = 0; p < n; ++p) {
      const uint16_t* kp = k + (p / kKeyBlock) * kKeyBlock * d + (p % kKeyBlock) * 2;
      float acc[4] = {0, 0, 0, 0};
      for (size_t t = 0; t < d; ++t) {
        const float kv = Bf16(kp[(t / 2) * 2 * kKeyBlock + t % 2]);
        for (size_t r = 0; r < nr; ++r) acc[r] += q[(r0 + r) * qs + t] * kv;
      }
      for (size_t r = 0; r < nr; ++r) s[(r0 + r) * ss + p] = acc[r];
    }
  }
}

void PvBf16(size_t rows, size_t d, size_t n, const float* pr, size_t ps, const uint16_t* v,
            float* o, size_t os) {
  for (size_t r = 0; r < rows; ++r) std::fill(o + r * os, o + r * os + d, 0.0f);
  for (size_t p = 0; p < n; ++p) {
    const uint16_t* vp = v + (p / 2) * 2 * d + p % 2;
    for (size_t t = 0; t < d; ++t) {
      const float vv = Bf16(vp[2 * t]);
      for (size_t r = 0; r < rows; ++r) o[r * os + t] += pr[r * ps + p] * vv;
    }
  }
}

}  // namespace

void qk_bf16_u4__scalar(size_t rows, size_t d, size_t n, const float* q, size_t qs,
                        const uint16_t* k, float* s, size_t ss) {
  QkBf16(rows, d, n, q, qs, k, s, ss);
}
void pv_bf16_u4__scalar(size_t rows, size_t d, size_t n, const float* p, size_t ps,
                        const uint16_t* v, float* o, size_t os) {
  PvBf16(rows, d, n, p, ps, v, o, os);
}

void qk_f16_u4__scalar(size_t rows, size_t d, size_t n, const float* q, size_t qs,
                       const uint16_t* k, float* s, size_t ss) {
  Qk(rows, d, n, q, qs, k, s, ss);
}
void qk_f32_u4__scalar(size_t rows, size_t d, size_t n, const float* q, size_t qs, const float* k,
                       float* s, size_t ss) {
  Qk(rows, d, n, q, qs, k, s, ss);
}
void pv_f16_u4__scalar(size_t rows, size_t d, size_t n, const float* p, size_t ps,
                       const uint16_t* v, float* o, size_t os) {
  Pv(rows, d, n, p, ps, v, o, os);
}
void pv_f32_u4__scalar(size_t rows, size_t d, size_t n, const float* p, size_t ps, const float* v,
                       float* o, size_t os) {
  Pv(rows, d, n, p, ps, v, o, os);
}

}  // namespace lutra::kernels::attn
