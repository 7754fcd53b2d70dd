// AVX2 softmax: the AVX-512 design (see x86_avx512.cc) on ymm registers, four accumulator
// pairs (32 floats per iteration); tails use maskload/maskstore, which never touch the
// masked-off lanes, and dead lanes leave the accumulators untouched.
#include <immintrin.h>

#include <cstdint>

#include "arch/x86/exp_simd.h"
#include "kernels/softmax2p/extexp.h"
#include "kernels/softmax2p/variants.h"

namespace lutra::kernels::softmax2p {
namespace {

using namespace lutra::arch::x86;

constexpr size_t kStreamMin = size_t(1) << 21;

template <bool kMask>
inline __m256 LoadZ(const float* x, const float* mask, __m256 scale, size_t i) {
  const __m256 v = _mm256_loadu_ps(x + i);
  return kMask ? _mm256_fmadd_ps(v, scale, _mm256_loadu_ps(mask + i)) : _mm256_mul_ps(v, scale);
}

template <bool kMask>
inline __m256 LoadZTail(const float* x, const float* mask, __m256 scale, size_t i, __m256i k) {
  const __m256 v = _mm256_maskload_ps(x + i, k);
  return kMask ? _mm256_fmadd_ps(v, scale, _mm256_maskload_ps(mask + i, k))
               : _mm256_mul_ps(v, scale);
}

inline void Accumulate(__m256 z, __m256& m, __m256& e) {
  const ExpParts256 q = ExpDecompose256(z);
  const __m256 emax = _mm256_max_ps(e, q.n);
  m = _mm256_fmadd_ps(q.p, ExpPow2_256(_mm256_sub_ps(q.n, emax)),
                      _mm256_mul_ps(m, ExpPow2_256(_mm256_sub_ps(e, emax))));
  e = emax;
}

inline void AccumulateTail(__m256 z, __m256& m, __m256& e, __m256i k) {
  __m256 mt = m, et = e;
  Accumulate(z, mt, et);
  m = _mm256_blendv_ps(m, mt, _mm256_castsi256_ps(k));
  e = _mm256_blendv_ps(e, et, _mm256_castsi256_ps(k));
}

template <bool kMask>
void TwoPass(size_t n, const float* x, const float* mask, float scale_f, float* y) {
  const __m256 scale = _mm256_set1_ps(scale_f);
  __m256 m0 = _mm256_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
  __m256 e0 = _mm256_set1_ps(-INFINITY), e1 = e0, e2 = e0, e3 = e0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    Accumulate(LoadZ<kMask>(x, mask, scale, i), m0, e0);
    Accumulate(LoadZ<kMask>(x, mask, scale, i + 8), m1, e1);
    Accumulate(LoadZ<kMask>(x, mask, scale, i + 16), m2, e2);
    Accumulate(LoadZ<kMask>(x, mask, scale, i + 24), m3, e3);
  }
  for (; i + 8 <= n; i += 8) Accumulate(LoadZ<kMask>(x, mask, scale, i), m0, e0);
  if (i < n) {
    const __m256i k = TailMask256(n - i);
    AccumulateTail(LoadZTail<kMask>(x, mask, scale, i, k), m1, e1, k);
  }

  alignas(32) float ms[32], es[32];
  _mm256_store_ps(ms, m0), _mm256_store_ps(ms + 8, m1);
  _mm256_store_ps(ms + 16, m2), _mm256_store_ps(ms + 24, m3);
  _mm256_store_ps(es, e0), _mm256_store_ps(es + 8, e1);
  _mm256_store_ps(es + 16, e2), _mm256_store_ps(es + 24, e3);
  const ExtSum s = CombineLanes(ms, es, 32);

  const __m256 inv = _mm256_set1_ps(1.0f / s.m);
  const __m256 esum = _mm256_set1_ps(s.e);
  auto out = [&](__m256 z) {
    const ExpParts256 q = ExpDecompose256(z);
    return ExpLdexp256(_mm256_mul_ps(q.p, inv), _mm256_sub_ps(q.n, esum));
  };
  i = 0;
  if (n >= kStreamMin) {
    const size_t head = ((32 - (reinterpret_cast<uintptr_t>(y) & 31)) & 31) / sizeof(float);
    if (head != 0 && head < n) {
      const __m256i k = TailMask256(head);
      _mm256_maskstore_ps(y, k, out(LoadZTail<kMask>(x, mask, scale, 0, k)));
      i = head;
    }
    if (reinterpret_cast<uintptr_t>(y + i) % 32 == 0) {
      for (; i + 32 <= n; i += 32) {
        const __m256 z0 = LoadZ<kMask>(x, mask, scale, i);
        const __m256 z1 = LoadZ<kMask>(x, mask, scale, i + 8);
        const __m256 z2 = LoadZ<kMask>(x, mask, scale, i + 16);
        const __m256 z3 = LoadZ<kMask>(x, mask, scale, i + 24);
        _mm256_stream_ps(y + i, out(z0));
        _mm256_stream_ps(y + i + 8, out(z1));
        _mm256_stream_ps(y + i + 16, out(z2));
        _mm256_stream_ps(y + i + 24, out(z3));
      }
      _mm_sfence();
    }
  }
  for (; i + 32 <= n; i += 32) {
    const __m256 z0 = LoadZ<kMask>(x, mask, scale, i);
    const __m256 z1 = LoadZ<kMask>(x, mask, scale, i + 8);
    const __m256 z2 = LoadZ<kMask>(x, mask, scale, i + 16);
    const __m256 z3 = LoadZ<kMask>(x, mask, scale, i + 24);
    _mm256_storeu_ps(y + i, out(z0));
    _mm256_storeu_ps(y + i + 8, out(z1));
    _mm256_storeu_ps(y + i + 16, out(z2));
    _mm256_storeu_ps(y + i + 24, out(z3));
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, out(LoadZ<kMask>(x, mask, scale, i)));
  if (i < n) {
    const __m256i k = TailMask256(n - i);
    _mm256_maskstore_ps(y + i, k, out(LoadZTail<kMask>(x, mask, scale, i, k)));
  }
}

inline float HMax(__m256 v) {
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
  return _mm_cvtss_f32(h);
}

inline float HSum(__m256 v) {
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
  return _mm_cvtss_f32(h);
}

// max(z) in every lane. A NaN may or may not survive the max; it gives a NaN exponential in
// the callers' next pass either way.
template <bool kMask>
__m256 MaxZ(size_t n, const float* x, const float* mask, __m256 scale) {
  const __m256 ninf = _mm256_set1_ps(-INFINITY);
  __m256 x0 = ninf, x1 = ninf, x2 = ninf, x3 = ninf;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    x0 = _mm256_max_ps(x0, LoadZ<kMask>(x, mask, scale, i));
    x1 = _mm256_max_ps(x1, LoadZ<kMask>(x, mask, scale, i + 8));
    x2 = _mm256_max_ps(x2, LoadZ<kMask>(x, mask, scale, i + 16));
    x3 = _mm256_max_ps(x3, LoadZ<kMask>(x, mask, scale, i + 24));
  }
  for (; i + 8 <= n; i += 8) x0 = _mm256_max_ps(x0, LoadZ<kMask>(x, mask, scale, i));
  if (i < n) {
    const __m256i k = TailMask256(n - i);
    x1 = _mm256_max_ps(
        x1, _mm256_blendv_ps(ninf, LoadZTail<kMask>(x, mask, scale, i, k), _mm256_castsi256_ps(k)));
  }
  return _mm256_set1_ps(HMax(_mm256_max_ps(_mm256_max_ps(x0, x1), _mm256_max_ps(x2, x3))));
}

template <bool kMask>
void ThreePass(size_t n, const float* x, const float* mask, float scale_f, float* y) {
  const __m256 scale = _mm256_set1_ps(scale_f);
  const __m256 zmax = MaxZ<kMask>(n, x, mask, scale);
  size_t i = 0;

  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  auto ex = [&](size_t j) {
    return ExpNonPositive256(_mm256_sub_ps(LoadZ<kMask>(x, mask, scale, j), zmax));
  };
  for (i = 0; i + 32 <= n; i += 32) {
    s0 = _mm256_add_ps(s0, ex(i)), s1 = _mm256_add_ps(s1, ex(i + 8));
    s2 = _mm256_add_ps(s2, ex(i + 16)), s3 = _mm256_add_ps(s3, ex(i + 24));
  }
  for (; i + 8 <= n; i += 8) s0 = _mm256_add_ps(s0, ex(i));
  if (i < n) {
    const __m256i k = TailMask256(n - i);
    const __m256 v = ExpNonPositive256(_mm256_sub_ps(LoadZTail<kMask>(x, mask, scale, i, k), zmax));
    s1 = _mm256_add_ps(s1, _mm256_and_ps(v, _mm256_castsi256_ps(k)));
  }
  const __m256 inv =
      _mm256_set1_ps(1.0f / HSum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))));
  auto out = [&](__m256 z) {
    const ExpParts256 q = ExpDecompose256(_mm256_sub_ps(z, zmax));
    return ExpLdexp256(_mm256_mul_ps(q.p, inv), q.n);
  };
  for (i = 0; i + 32 <= n; i += 32) {
    const __m256 z0 = LoadZ<kMask>(x, mask, scale, i);
    const __m256 z1 = LoadZ<kMask>(x, mask, scale, i + 8);
    const __m256 z2 = LoadZ<kMask>(x, mask, scale, i + 16);
    const __m256 z3 = LoadZ<kMask>(x, mask, scale, i + 24);
    _mm256_storeu_ps(y + i, out(z0));
    _mm256_storeu_ps(y + i + 8, out(z1));
    _mm256_storeu_ps(y + i + 16, out(z2));
    _mm256_storeu_ps(y + i + 24, out(z3));
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, out(LoadZ<kMask>(x, mask, scale, i)));
  if (i < n) {
    const __m256i k = TailMask256(n - i);
    _mm256_maskstore_ps(y + i, k, out(LoadZTail<kMask>(x, mask, scale, i, k)));
  }
}

// Stored three-pass (see softmax2p.h): exp(z − max) kept in y, then rescaled.
template <bool kMask>
void ThreePassStored(size_t n, const float* x, const float* mask, float scale_f, float* y) {
  const __m256 scale = _mm256_set1_ps(scale_f);
  const __m256 zmax = MaxZ<kMask>(n, x, mask, scale);
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  auto ex = [&](size_t j) {
    return ExpNonPositive256(_mm256_sub_ps(LoadZ<kMask>(x, mask, scale, j), zmax));
  };
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 e0 = ex(i), e1 = ex(i + 8), e2 = ex(i + 16), e3 = ex(i + 24);
    _mm256_storeu_ps(y + i, e0), _mm256_storeu_ps(y + i + 8, e1);
    _mm256_storeu_ps(y + i + 16, e2), _mm256_storeu_ps(y + i + 24, e3);
    s0 = _mm256_add_ps(s0, e0), s1 = _mm256_add_ps(s1, e1);
    s2 = _mm256_add_ps(s2, e2), s3 = _mm256_add_ps(s3, e3);
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 e = ex(i);
    _mm256_storeu_ps(y + i, e);
    s0 = _mm256_add_ps(s0, e);
  }
  const size_t tail = n - i;
  const __m256i k = TailMask256(tail);
  if (tail != 0) {
    const __m256 e = ExpNonPositive256(_mm256_sub_ps(LoadZTail<kMask>(x, mask, scale, i, k), zmax));
    _mm256_maskstore_ps(y + i, k, e);
    s1 = _mm256_add_ps(s1, _mm256_and_ps(e, _mm256_castsi256_ps(k)));
  }
  const __m256 inv =
      _mm256_set1_ps(1.0f / HSum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))));
  for (i = 0; i + 32 <= n; i += 32) {
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), inv));
    _mm256_storeu_ps(y + i + 8, _mm256_mul_ps(_mm256_loadu_ps(y + i + 8), inv));
    _mm256_storeu_ps(y + i + 16, _mm256_mul_ps(_mm256_loadu_ps(y + i + 16), inv));
    _mm256_storeu_ps(y + i + 24, _mm256_mul_ps(_mm256_loadu_ps(y + i + 24), inv));
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), inv));
  if (tail != 0) _mm256_maskstore_ps(y + i, k, _mm256_mul_ps(_mm256_maskload_ps(y + i, k), inv));
}

}  // namespace

void softmax2p_f32_u32__avx2(size_t n, const float* x, const float* mask, float scale, float* y) {
  mask != nullptr ? TwoPass<true>(n, x, mask, scale, y) : TwoPass<false>(n, x, mask, scale, y);
}

void softmax3p_f32_u32__avx2(size_t n, const float* x, const float* mask, float scale, float* y) {
  mask != nullptr ? ThreePass<true>(n, x, mask, scale, y) : ThreePass<false>(n, x, mask, scale, y);
}

void softmax3s_f32_u32__avx2(size_t n, const float* x, const float* mask, float scale, float* y) {
  mask != nullptr ? ThreePassStored<true>(n, x, mask, scale, y)
                  : ThreePassStored<false>(n, x, mask, scale, y);
}

}  // namespace lutra::kernels::softmax2p
