// AVX-512 softmax. Two-pass: four zmm (mantissa, exponent) accumulator pairs (64 floats per
// iteration) so the rescale chains overlap; tails use masked loads, and dead lanes leave the
// accumulators untouched. Pass 2 recomputes
// exp and, for rows larger than the cache, streams y with non-temporal stores.
// GCC 12 reports the _mm512_undefined_*() placeholders inside its own intrinsics (max,
// shifts, reductions) as (maybe-)uninitialized; the values are never read.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <immintrin.h>

#include <cstdint>

#include "arch/x86/exp_simd.h"
#include "kernels/softmax2p/extexp.h"
#include "kernels/softmax2p/variants.h"

namespace lutra::kernels::softmax2p {
namespace {

using namespace lutra::arch::x86;

// Rows above this many floats (16 MiB in + out) go past the last-level cache on the targets
// we measure; below it, regular stores keep y cached for the consumer.
constexpr size_t kStreamMin = size_t(1) << 21;

inline __mmask16 TailMask(size_t r) {
  return __mmask16((1u << r) - 1u);
}

template <bool kMask>
inline __m512 LoadZ(const float* x, const float* mask, __m512 scale, size_t i) {
  const __m512 v = _mm512_loadu_ps(x + i);
  return kMask ? _mm512_fmadd_ps(v, scale, _mm512_loadu_ps(mask + i)) : _mm512_mul_ps(v, scale);
}

template <bool kMask>
inline __m512 LoadZTail(const float* x, const float* mask, __m512 scale, size_t i, __mmask16 k) {
  const __m512 v = _mm512_maskz_loadu_ps(k, x + i);
  return kMask ? _mm512_fmadd_ps(v, scale, _mm512_maskz_loadu_ps(k, mask + i))
               : _mm512_mul_ps(v, scale);
}

inline void Accumulate(__m512 z, __m512& m, __m512& e) {
  const ExpParts512 q = ExpDecompose512(z);
  const __m512 emax = _mm512_max_ps(e, q.n);
  m = _mm512_add_ps(ExpScale512(q.p, _mm512_sub_ps(q.n, emax)),
                    ExpScale512(m, _mm512_sub_ps(e, emax)));
  e = emax;
}

// Tail step: dead lanes (outside k) keep their accumulator unchanged.
inline void AccumulateTail(__m512 z, __m512& m, __m512& e, __mmask16 k) {
  __m512 mt = m, et = e;
  Accumulate(z, mt, et);
  m = _mm512_mask_blend_ps(k, m, mt);
  e = _mm512_mask_blend_ps(k, e, et);
}

template <bool kMask>
void TwoPass(size_t n, const float* x, const float* mask, float scale_f, float* y) {
  const __m512 scale = _mm512_set1_ps(scale_f);
  __m512 m0 = _mm512_setzero_ps(), m1 = m0, m2 = m0, m3 = m0;
  __m512 e0 = _mm512_set1_ps(-INFINITY), e1 = e0, e2 = e0, e3 = e0;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    Accumulate(LoadZ<kMask>(x, mask, scale, i), m0, e0);
    Accumulate(LoadZ<kMask>(x, mask, scale, i + 16), m1, e1);
    Accumulate(LoadZ<kMask>(x, mask, scale, i + 32), m2, e2);
    Accumulate(LoadZ<kMask>(x, mask, scale, i + 48), m3, e3);
  }
  for (; i + 16 <= n; i += 16) Accumulate(LoadZ<kMask>(x, mask, scale, i), m0, e0);
  if (i < n) {
    const __mmask16 k = TailMask(n - i);
    AccumulateTail(LoadZTail<kMask>(x, mask, scale, i, k), m1, e1, k);
  }

  alignas(64) float ms[64], es[64];
  _mm512_store_ps(ms, m0), _mm512_store_ps(ms + 16, m1);
  _mm512_store_ps(ms + 32, m2), _mm512_store_ps(ms + 48, m3);
  _mm512_store_ps(es, e0), _mm512_store_ps(es + 16, e1);
  _mm512_store_ps(es + 32, e2), _mm512_store_ps(es + 48, e3);
  const ExtSum s = CombineLanes(ms, es, 64);

  const __m512 inv = _mm512_set1_ps(1.0f / s.m);  // NaN sum → NaN everywhere
  const __m512 esum = _mm512_set1_ps(s.e);
  auto out = [&](__m512 z) {
    const ExpParts512 q = ExpDecompose512(z);
    return ExpScale512(_mm512_mul_ps(q.p, inv), _mm512_sub_ps(q.n, esum));
  };
  i = 0;
  const bool stream = n >= kStreamMin;
  if (stream) {
    // Peel to a 64-byte boundary of y (non-temporal stores need it).
    const size_t head = ((64 - (reinterpret_cast<uintptr_t>(y) & 63)) & 63) / sizeof(float);
    if (head != 0 && head < n) {
      const __mmask16 k = TailMask(head);
      _mm512_mask_storeu_ps(y, k, out(LoadZTail<kMask>(x, mask, scale, 0, k)));
      i = head;
    }
    if (reinterpret_cast<uintptr_t>(y + i) % 64 == 0) {
      for (; i + 64 <= n; i += 64) {
        const __m512 z0 = LoadZ<kMask>(x, mask, scale, i);
        const __m512 z1 = LoadZ<kMask>(x, mask, scale, i + 16);
        const __m512 z2 = LoadZ<kMask>(x, mask, scale, i + 32);
        const __m512 z3 = LoadZ<kMask>(x, mask, scale, i + 48);
        _mm512_stream_ps(y + i, out(z0));
        _mm512_stream_ps(y + i + 16, out(z1));
        _mm512_stream_ps(y + i + 32, out(z2));
        _mm512_stream_ps(y + i + 48, out(z3));
      }
      _mm_sfence();
    }
  }
  for (; i + 64 <= n; i += 64) {
    // All four loads before any store: y may equal x.
    const __m512 z0 = LoadZ<kMask>(x, mask, scale, i);
    const __m512 z1 = LoadZ<kMask>(x, mask, scale, i + 16);
    const __m512 z2 = LoadZ<kMask>(x, mask, scale, i + 32);
    const __m512 z3 = LoadZ<kMask>(x, mask, scale, i + 48);
    _mm512_storeu_ps(y + i, out(z0));
    _mm512_storeu_ps(y + i + 16, out(z1));
    _mm512_storeu_ps(y + i + 32, out(z2));
    _mm512_storeu_ps(y + i + 48, out(z3));
  }
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, out(LoadZ<kMask>(x, mask, scale, i)));
  if (i < n) {
    const __mmask16 k = TailMask(n - i);
    _mm512_mask_storeu_ps(y + i, k, out(LoadZTail<kMask>(x, mask, scale, i, k)));
  }
}

// max(z) in every lane. A NaN may or may not survive the max; it gives a NaN exponential in
// the callers' next pass either way, hence a NaN sum and NaN everywhere.
template <bool kMask>
__m512 MaxZ(size_t n, const float* x, const float* mask, __m512 scale) {
  const __m512 ninf = _mm512_set1_ps(-INFINITY);
  __m512 x0 = ninf, x1 = ninf, x2 = ninf, x3 = ninf;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    x0 = _mm512_max_ps(x0, LoadZ<kMask>(x, mask, scale, i));
    x1 = _mm512_max_ps(x1, LoadZ<kMask>(x, mask, scale, i + 16));
    x2 = _mm512_max_ps(x2, LoadZ<kMask>(x, mask, scale, i + 32));
    x3 = _mm512_max_ps(x3, LoadZ<kMask>(x, mask, scale, i + 48));
  }
  for (; i + 16 <= n; i += 16) x0 = _mm512_max_ps(x0, LoadZ<kMask>(x, mask, scale, i));
  if (i < n) {
    const __mmask16 k = TailMask(n - i);
    x1 = _mm512_mask_max_ps(x1, k, x1, LoadZTail<kMask>(x, mask, scale, i, k));
  }
  return _mm512_set1_ps(
      _mm512_reduce_max_ps(_mm512_max_ps(_mm512_max_ps(x0, x1), _mm512_max_ps(x2, x3))));
}

// Classic baseline: max, Σ exp(z − max), then y = exp(z − max)/Σ recomputed from x (reads
// x three times, writes y once: less traffic than storing exp and rescaling y).
template <bool kMask>
void ThreePass(size_t n, const float* x, const float* mask, float scale_f, float* y) {
  const __m512 scale = _mm512_set1_ps(scale_f);
  const __m512 zmax = MaxZ<kMask>(n, x, mask, scale);
  size_t i = 0;

  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  auto ex = [&](size_t j) {
    return ExpNonPositive512(_mm512_sub_ps(LoadZ<kMask>(x, mask, scale, j), zmax));
  };
  for (i = 0; i + 64 <= n; i += 64) {
    s0 = _mm512_add_ps(s0, ex(i)), s1 = _mm512_add_ps(s1, ex(i + 16));
    s2 = _mm512_add_ps(s2, ex(i + 32)), s3 = _mm512_add_ps(s3, ex(i + 48));
  }
  for (; i + 16 <= n; i += 16) s0 = _mm512_add_ps(s0, ex(i));
  if (i < n) {
    const __mmask16 k = TailMask(n - i);
    s1 = _mm512_mask_add_ps(
        s1, k, s1, ExpNonPositive512(_mm512_sub_ps(LoadZTail<kMask>(x, mask, scale, i, k), zmax)));
  }
  const __m512 inv = _mm512_set1_ps(
      1.0f / _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3))));
  auto out = [&](__m512 z) {
    const ExpParts512 q = ExpDecompose512(_mm512_sub_ps(z, zmax));
    return ExpScale512(_mm512_mul_ps(q.p, inv), q.n);
  };
  for (i = 0; i + 64 <= n; i += 64) {
    const __m512 z0 = LoadZ<kMask>(x, mask, scale, i);
    const __m512 z1 = LoadZ<kMask>(x, mask, scale, i + 16);
    const __m512 z2 = LoadZ<kMask>(x, mask, scale, i + 32);
    const __m512 z3 = LoadZ<kMask>(x, mask, scale, i + 48);
    _mm512_storeu_ps(y + i, out(z0));
    _mm512_storeu_ps(y + i + 16, out(z1));
    _mm512_storeu_ps(y + i + 32, out(z2));
    _mm512_storeu_ps(y + i + 48, out(z3));
  }
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, out(LoadZ<kMask>(x, mask, scale, i)));
  if (i < n) {
    const __mmask16 k = TailMask(n - i);
    _mm512_mask_storeu_ps(y + i, k, out(LoadZTail<kMask>(x, mask, scale, i, k)));
  }
}

// For rows that stay in cache (attention scores): max, then exp(z − max) stored in y while
// summing, then y scaled by 1/Σ — one exponential per element where the two-pass kernel
// computes two, at the price of reading and writing y once more.
template <bool kMask>
void ThreePassStored(size_t n, const float* x, const float* mask, float scale_f, float* y) {
  const __m512 scale = _mm512_set1_ps(scale_f);
  const __m512 zmax = MaxZ<kMask>(n, x, mask, scale);
  size_t i = 0;

  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  auto ex = [&](size_t j) {
    return ExpNonPositive512(_mm512_sub_ps(LoadZ<kMask>(x, mask, scale, j), zmax));
  };
  for (i = 0; i + 64 <= n; i += 64) {
    const __m512 e0 = ex(i), e1 = ex(i + 16), e2 = ex(i + 32), e3 = ex(i + 48);
    _mm512_storeu_ps(y + i, e0), _mm512_storeu_ps(y + i + 16, e1);
    _mm512_storeu_ps(y + i + 32, e2), _mm512_storeu_ps(y + i + 48, e3);
    s0 = _mm512_add_ps(s0, e0), s1 = _mm512_add_ps(s1, e1);
    s2 = _mm512_add_ps(s2, e2), s3 = _mm512_add_ps(s3, e3);
  }
  for (; i + 16 <= n; i += 16) {
    const __m512 e = ex(i);
    _mm512_storeu_ps(y + i, e);
    s0 = _mm512_add_ps(s0, e);
  }
  if (i < n) {
    const __mmask16 k = TailMask(n - i);
    const __m512 e = ExpNonPositive512(_mm512_sub_ps(LoadZTail<kMask>(x, mask, scale, i, k), zmax));
    _mm512_mask_storeu_ps(y + i, k, e);
    s1 = _mm512_mask_add_ps(s1, k, s1, e);
  }
  const __m512 inv = _mm512_set1_ps(
      1.0f / _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3))));
  for (i = 0; i + 64 <= n; i += 64) {
    _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_loadu_ps(y + i), inv));
    _mm512_storeu_ps(y + i + 16, _mm512_mul_ps(_mm512_loadu_ps(y + i + 16), inv));
    _mm512_storeu_ps(y + i + 32, _mm512_mul_ps(_mm512_loadu_ps(y + i + 32), inv));
    _mm512_storeu_ps(y + i + 48, _mm512_mul_ps(_mm512_loadu_ps(y + i + 48), inv));
  }
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_mul_ps(_mm512_loadu_ps(y + i), inv));
  if (i < n) {
    const __mmask16 k = TailMask(n - i);
    _mm512_mask_storeu_ps(y + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, y + i), inv));
  }
}

}  // namespace

void softmax2p_f32_u64__avx512(size_t n, const float* x, const float* mask, float scale, float* y) {
  mask != nullptr ? TwoPass<true>(n, x, mask, scale, y) : TwoPass<false>(n, x, mask, scale, y);
}

void softmax3p_f32_u64__avx512(size_t n, const float* x, const float* mask, float scale, float* y) {
  mask != nullptr ? ThreePass<true>(n, x, mask, scale, y) : ThreePass<false>(n, x, mask, scale, y);
}

void softmax3s_f32_u64__avx512(size_t n, const float* x, const float* mask, float scale, float* y) {
  mask != nullptr ? ThreePassStored<true>(n, x, mask, scale, y)
                  : ThreePassStored<false>(n, x, mask, scale, y);
}

}  // namespace lutra::kernels::softmax2p
