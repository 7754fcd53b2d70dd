// Vectorised exp pieces for x86 kernel files (softmax2p, SiLU). Included only from files
// compiled with the matching ISA flags; everything here is static inline.
//
// exp(z) = 2^n · p(t) with n = round(z·log2 e) and t = z − n·ln2 (two-step Cody–Waite
// reduction with FMA, so t is exact to ~1 ulp for |z| ≤ 1e4). p is the degree-6 Taylor
// polynomial, whose truncation error on |t| ≤ ln2/2 is ≤ 1.7e-7 relative (≈1.4 ulp).
// t is clamped to [−1, 1] so p stays finite and positive even where the reduction is
// meaningless (|z| ≥ 2^23, where only n matters); z is clamped to ±1e38 so −inf gives a
// finite, hugely negative n whose 2^(n − max) is exactly 0. NaN passes through both clamps
// (max/min return the second operand when either is NaN, so the input goes second).
#pragma once

#include <immintrin.h>

#include <cstddef>

namespace lutra::arch::x86 {

inline constexpr float kExpLog2e = 1.44269504088896341f;
inline constexpr float kExpLn2Hi = 0.693147182464599609375f;  // float nearest ln 2
inline constexpr float kExpLn2Lo = -1.904654299957768e-09f;   // ln 2 − kExpLn2Hi
inline constexpr float kExpMinZ = -1e38f;
inline constexpr float kExpMaxZ = 1e38f;  // keeps z·log2 e finite
// 1.5·2^23 + 127: adding an integer d ∈ [−127, 128] leaves 127 + d in the low mantissa bits.
inline constexpr float kExpPow2Magic = 12583039.0f;
inline constexpr float kExpC2 = 1.0f / 2, kExpC3 = 1.0f / 6, kExpC4 = 1.0f / 24,
                       kExpC5 = 1.0f / 120, kExpC6 = 1.0f / 720;

#if defined(__AVX512F__)
struct ExpParts512 {
  __m512 p;  // p(t) ∈ [0.36, 2.8]
  __m512 n;  // integer-valued float exponent
};

static inline ExpParts512 ExpDecompose512(__m512 z) {
  z = _mm512_max_ps(_mm512_set1_ps(kExpMinZ), z);
  z = _mm512_min_ps(_mm512_set1_ps(kExpMaxZ), z);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(z, _mm512_set1_ps(kExpLog2e)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 t = _mm512_fnmadd_ps(n, _mm512_set1_ps(kExpLn2Hi), z);
  t = _mm512_fnmadd_ps(n, _mm512_set1_ps(kExpLn2Lo), t);
  t = _mm512_max_ps(_mm512_set1_ps(-1.0f), t);
  t = _mm512_min_ps(_mm512_set1_ps(1.0f), t);
  __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(kExpC6), t, _mm512_set1_ps(kExpC5));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kExpC4));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kExpC3));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(kExpC2));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.0f));
  return {p, n};
}

// 2^d for integer-valued d ≤ 128; d < −126 (and NaN) gives 0.
static inline __m512 ExpPow2_512(__m512 d) {
  d = _mm512_max_ps(d, _mm512_set1_ps(-127.0f));
  const __m512 b = _mm512_add_ps(d, _mm512_set1_ps(kExpPow2Magic));
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(b), 23));
}

// v · 2^d for integer-valued d ≤ 0, exact down to the denormals (two factors, one rounding
// when v·2^max(d,−100) is normal).
static inline __m512 ExpLdexp512(__m512 v, __m512 d) {
  const __m512 d1 = _mm512_max_ps(d, _mm512_set1_ps(-100.0f));
  return _mm512_mul_ps(_mm512_mul_ps(v, ExpPow2_512(d1)), ExpPow2_512(_mm512_sub_ps(d, d1)));
}

// v · 2^d in one vscalefps: one rounding (denormals included), huge negative d → 0, NaN in
// either operand → NaN. Cheaper than ExpLdexp512 where AVX-512F is available.
static inline __m512 ExpScale512(__m512 v, __m512 d) {
  return _mm512_scalef_ps(v, d);
}

// exp(z) for z ≤ 0 (denormal results exact to rounding, −inf → 0, NaN → NaN).
static inline __m512 ExpNonPositive512(__m512 z) {
  const ExpParts512 e = ExpDecompose512(z);
  return ExpScale512(e.p, e.n);
}
#endif  // __AVX512F__

#if defined(__AVX2__) && defined(__FMA__)
struct ExpParts256 {
  __m256 p;
  __m256 n;
};

static inline ExpParts256 ExpDecompose256(__m256 z) {
  z = _mm256_max_ps(_mm256_set1_ps(kExpMinZ), z);
  z = _mm256_min_ps(_mm256_set1_ps(kExpMaxZ), z);
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(z, _mm256_set1_ps(kExpLog2e)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 t = _mm256_fnmadd_ps(n, _mm256_set1_ps(kExpLn2Hi), z);
  t = _mm256_fnmadd_ps(n, _mm256_set1_ps(kExpLn2Lo), t);
  t = _mm256_max_ps(_mm256_set1_ps(-1.0f), t);
  t = _mm256_min_ps(_mm256_set1_ps(1.0f), t);
  __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(kExpC6), t, _mm256_set1_ps(kExpC5));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kExpC4));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kExpC3));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(kExpC2));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.0f));
  return {p, n};
}

static inline __m256 ExpPow2_256(__m256 d) {
  d = _mm256_max_ps(d, _mm256_set1_ps(-127.0f));
  const __m256 b = _mm256_add_ps(d, _mm256_set1_ps(kExpPow2Magic));
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(b), 23));
}

static inline __m256 ExpLdexp256(__m256 v, __m256 d) {
  const __m256 d1 = _mm256_max_ps(d, _mm256_set1_ps(-100.0f));
  return _mm256_mul_ps(_mm256_mul_ps(v, ExpPow2_256(d1)), ExpPow2_256(_mm256_sub_ps(d, d1)));
}

static inline __m256 ExpNonPositive256(__m256 z) {
  const ExpParts256 e = ExpDecompose256(z);
  return ExpLdexp256(e.p, e.n);
}

// Lane mask for the first `r` < 8 lanes, for maskload/maskstore tails.
static inline __m256i TailMask256(size_t r) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(int(r)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#endif  // __AVX2__ && __FMA__

}  // namespace lutra::arch::x86
