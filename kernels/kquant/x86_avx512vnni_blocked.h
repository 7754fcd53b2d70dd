// AVX-512 VNNI many-token path of every kquant format, register-blocked: kRows rows × kTiles
// tiles of 16 tokens share every load. Per k-quad, kTiles activation vectors (16 tokens × 4
// codes) and kRows broadcast weight quads feed kRows·kTiles vpdpbusd, so loads stay well under
// one per vpdpbusd (the earlier one-row scheme loaded an activation vector per vpdpbusd and
// did not pass ~30% of the instruction's rate on Zen 5, whose two vector load ports limited
// it).
//
// The sub-block scales go through fp32: each sub-block's int32 dots are converted and added
// times d·sc_j (one vcvtdq2ps and one fma with a broadcast operand per row and tile), cheaper
// than vpmulld. The mins term Σ_j m_j·Σa_j needs no per-sub-block work at all: the sums of
// two sub-blocks are packed as int16 pairs once per tile and super-block (|Σa| ≤ 32·127 fits),
// and four vpdpwssd against the row's min pairs give it per row and tile.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/kquant/kquant.h"
#include "kernels/kquant/x86_avx512_impl.h"
#include "kernels/kquant/x86_blocks32.h"

namespace lutra::kernels::kquant::vnni_blocked {
// Internal to each file that includes it: the files are compiled for different ISA levels, and
// one template instance shared between them would run one level's code in the other's variant.
namespace {

// y for rows r0..r0+R−1 and the tiles' real tokens, token-major (a token's rows adjacent).
template <size_t R, size_t T>
inline void Store(const __m512 (&f)[R][T], size_t r0, size_t g0, size_t n, float* y,
                  size_t y_stride) {
  for (size_t t = 0; t < T; ++t) {
    alignas(64) float lanes[R][kTileTokens];
    for (size_t i = 0; i < R; ++i) _mm512_store_ps(lanes[i], f[i][t]);
    const size_t t0 = (g0 + t) * kTileTokens;
    for (size_t j = 0; j < kTileTokens && t0 + j < n; ++j) {
      float out[R];
      for (size_t i = 0; i < R; ++i) out[i] = lanes[i][j];
      std::memcpy(y + (t0 + j) * y_stride + r0, out, R * sizeof(float));
    }
  }
}

// One row's super-block unpacked for the blocked loop, for a format of S sub-blocks: the codes
// (unsigned, sub-block j at (256 / S)·j), each sub-block's fp32 scale, and the term that goes
// through the activation sums: coef · Σ_j pair_j · Σa_j, with the integer weights of two
// sub-blocks packed as int16 pairs (lo | hi << 16). Q4_K / Q5_K / Q2_K: the mins times dmin;
// Q6_K / Q3_K: the scales times the codes' offset (32, 4) and d.
template <int S>
struct RowBlock {
  alignas(64) uint8_t codes[kSuperBlock];
  alignas(64) float scale[S];
  int32_t pairs[S / 2];
  float coef;
};

inline int32_t Pair(int lo, int hi) {
  return int32_t(uint32_t(uint16_t(int16_t(lo))) | uint32_t(uint16_t(int16_t(hi))) << 16);
}

template <Format F>
struct Traits;

template <bool kFive>
struct Q45KTraits {
  static constexpr int kSubs = 8;
  static void Unpack(const uint8_t* blk, RowBlock<kSubs>* out) {
    const __m512i low4 = _mm512_set1_epi8(0x0f);
    const __m512i nibble_shift =
        _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
    __m512i qh =
        kFive ? _mm512_broadcast_i64x4(avx512::Load32(blk + kQ5KQh)) : _mm512_setzero_si512();
    for (int c = 0; c < 4; ++c) {
      const __m512i v =
          _mm512_broadcast_i64x4(avx512::Load32(blk + (kFive ? kQ5KQs : kQ4KQs) + 32 * c));
      __m512i q = _mm512_and_si512(_mm512_srlv_epi16(v, nibble_shift), low4);
      if constexpr (kFive) {
        q = avx512::Q5KCodes(q, qh);
        qh = _mm512_srli_epi16(qh, 2);
      }
      _mm512_store_si512(out->codes + 64 * c, q);
    }
    uint64_t sc8, mn8;
    Q4KScalesMins8(blk + kQ4KScales, &sc8, &mn8);
    const __m256 sc = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(int64_t(sc8))));
    _mm256_store_ps(out->scale, _mm256_mul_ps(sc, _mm256_set1_ps(avx512::Half(blk))));
    for (int p = 0; p < 4; ++p) {
      out->pairs[p] = Pair(int((mn8 >> (16 * p)) & 0xff), int((mn8 >> (16 * p + 8)) & 0xff));
    }
    out->coef = avx512::Half(blk + 2);
  }
};
template <>
struct Traits<Format::kQ4K> : Q45KTraits<false> {};
template <>
struct Traits<Format::kQ5K> : Q45KTraits<true> {};

template <>
struct Traits<Format::kQ6K> {
  static constexpr int kSubs = 16;
  static void Unpack(const uint8_t* blk, RowBlock<kSubs>* out) {
    const __m512i low4 = _mm512_set1_epi8(0x0f), bits45 = _mm512_set1_epi8(0x30);
    const __m512i up = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
    const __m512i down = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    for (int h = 0; h < 2; ++h) {
      const __m512i ql = avx512::Load64(blk + 64 * h);
      const __m512i qh = _mm512_broadcast_i64x4(avx512::Load32(blk + kQ6KQh + 32 * h));
      _mm512_store_si512(out->codes + 128 * h,
                         _mm512_or_si512(_mm512_and_si512(ql, low4),
                                         _mm512_and_si512(_mm512_sllv_epi16(qh, up), bits45)));
      _mm512_store_si512(out->codes + 128 * h + 64,
                         _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low4),
                                         _mm512_and_si512(_mm512_srlv_epi16(qh, down), bits45)));
    }
    const int8_t* sc = reinterpret_cast<const int8_t*>(blk + kQ6KScales);
    const float d = avx512::Half(blk + kQ6KD);
    const __m512 sc32 = _mm512_cvtepi32_ps(
        _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sc))));
    _mm512_store_ps(out->scale, _mm512_mul_ps(sc32, _mm512_set1_ps(d)));
    for (int p = 0; p < 8; ++p) out->pairs[p] = Pair(sc[2 * p], sc[2 * p + 1]);
    out->coef = 32 * d;  // the codes are q − 32
  }
};

template <Format F>
struct Q32KTraits {
  static constexpr int kSubs = 16;
  static void Unpack(const uint8_t* blk, RowBlock<kSubs>* out) {
    constexpr bool kQ3 = F == Format::kQ3K;
    __m512i c[4];
    __m256i sc16, mn16;
    avx512::Q32KUnpack<F>(blk, c, &sc16, &mn16);
    for (int i = 0; i < 4; ++i) _mm512_store_si512(out->codes + 64 * i, c[i]);
    const float d = avx512::Half(blk + (kQ3 ? kQ3KD : kQ2KD));
    _mm512_store_ps(out->scale, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(sc16)),
                                              _mm512_set1_ps(d)));
    // The pairs are the int16 lanes taken two at a time: exactly the 256-bit vector's dwords.
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out->pairs), kQ3 ? sc16 : mn16);
    out->coef = kQ3 ? 4 * d : avx512::Half(blk + kQ2KD + 2);  // Q3_K: the codes are q − 4
  }
};
template <>
struct Traits<Format::kQ3K> : Q32KTraits<Format::kQ3K> {};
template <>
struct Traits<Format::kQ2K> : Q32KTraits<Format::kQ2K> {};

// IQ4_XS: the codebook values + 128 (unsigned) in weight order, d·sc_j per sub-block, and the
// offset's term 128·d·Σ_j sc_j·Σa_j through the pairs (the scales, 6-bit − 32).
template <>
struct Traits<Format::kIQ4XS> {
  static constexpr int kSubs = 8;
  static void Unpack(const uint8_t* blk, RowBlock<kSubs>* out) {
    for (int c = 0; c < 4; ++c) {
      _mm512_store_si512(out->codes + 64 * c, avx512::IQ4XSCodes64<true>(blk + kIQ4XSQs + 32 * c));
    }
    const uint64_t s8 = IQ4XSScales8(blk);
    const float d = avx512::Half(blk);
    const __m256i sc = _mm256_sub_epi32(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(int64_t(s8))),
                                        _mm256_set1_epi32(32));
    _mm256_store_ps(out->scale, _mm256_mul_ps(_mm256_cvtepi32_ps(sc), _mm256_set1_ps(d)));
    for (int p = 0; p < 4; ++p) {
      out->pairs[p] =
          Pair(int((s8 >> (16 * p)) & 0xff) - 32, int((s8 >> (16 * p + 8)) & 0xff) - 32);
    }
    out->coef = 128 * d;
  }
};

// The lattice i-quants: the block decoded in registers (avx512::IqDecodeBlock512: magnitudes,
// negative-code mask, int16 scale per pair lane), the signed codes stored plus kOffset so
// vpdpbusd takes them unsigned, sixteen sub-blocks of 16 (the formats with a scale per 32 give
// it to both halves) at f·sc_b in fp32 (f = d times the format's power of two). The offset
// comes off each sub-block's integer dot (kOffsetShift: its accumulators start at −kOffset·Σa
// of the sub-block, shared by the rows) rather than through the pairs after the fp32 sum: there
// it cancelled most of that sum for the small codes (kOffset / |q| up to 16 for IQ3_S's
// smallest value), and a one-hot product lost the last bits of the weight it reads.
template <Format F>
struct IqGridTraits {
  static constexpr int kSubs = 16;
  // The smallest power of two above the codes' magnitudes (IQ2 / IQ3: ≤ 62; IQ1's 8·g ± 1: ≤ 9).
  static constexpr int kOffsetShift = F == Format::kIQ1S || F == Format::kIQ1M ? 4 : 6;
  static constexpr int kOffset = 1 << kOffsetShift;
  static void Unpack(const uint8_t* blk, RowBlock<kSubs>* out) {
    avx512::IqBlock512 q;
    avx512::IqDecodeBlock512<F>(blk, &q);
    const __m512i offset = _mm512_set1_epi8(char(kOffset));
    for (int c = 0; c < 4; ++c) {
      // offset + |q|, or offset − |q| where the code is negative.
      const __m512i code =
          _mm512_mask_sub_epi8(_mm512_add_epi8(offset, q.u[c]), q.neg[c], offset, q.u[c]);
      _mm512_store_si512(out->codes + 64 * c, code);
    }
    // Sub-block 4c + i's scale is word 8i of sv[c] (a pair lane per two weights): the sixteen
    // gathered in order, as int16.
    alignas(64) std::array<int16_t, 32> pick{};
    for (int i = 0; i < 8; ++i) pick[size_t(i)] = int16_t(8 * i);
    const __m512i idx = _mm512_load_si512(pick.data());
    const __m512i s01 = _mm512_permutex2var_epi16(q.sv[0], idx, q.sv[1]);
    const __m512i s23 = _mm512_permutex2var_epi16(q.sv[2], idx, q.sv[3]);
    const __m256i sc16 =
        _mm256_inserti128_si256(_mm512_castsi512_si256(s01), _mm512_castsi512_si128(s23), 1);
    const float f = _cvtsh_ss(IqHalfBits(F, blk)) * IqFactorScale(F);
    _mm512_store_ps(out->scale, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(sc16)),
                                              _mm512_set1_ps(f)));
    out->coef = 0;  // no pairs term (kOffsetShift)
  }
};
template <>
struct Traits<Format::kIQ2XXS> : IqGridTraits<Format::kIQ2XXS> {};
template <>
struct Traits<Format::kIQ2XS> : IqGridTraits<Format::kIQ2XS> {};
template <>
struct Traits<Format::kIQ2S> : IqGridTraits<Format::kIQ2S> {};
template <>
struct Traits<Format::kIQ3XXS> : IqGridTraits<Format::kIQ3XXS> {};
template <>
struct Traits<Format::kIQ3S> : IqGridTraits<Format::kIQ3S> {};
template <>
struct Traits<Format::kIQ1S> : IqGridTraits<Format::kIQ1S> {};
template <>
struct Traits<Format::kIQ1M> : IqGridTraits<Format::kIQ1M> {};

inline __m512i Broadcast4(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return _mm512_set1_epi32(int(v));
}

constexpr size_t kPrefetchBlocks = 2;  // super-blocks ahead, per row

// Traits::kOffsetShift where the traits have one (their codes' offset taken off the integer
// dots), else 0 (the pairs and coef term).
template <class T, class = void>
struct OffsetShift {
  static constexpr int value = 0;
};
template <class T>
struct OffsetShift<T, std::void_t<decltype(T::kOffsetShift)>> {
  static constexpr int value = T::kOffsetShift;
};

// Rows r0..r0+R−1 against tiles g0..g0+T−1 over the whole row.
template <Format F, size_t R, size_t T>
void Pass(const Weights& w, const Activations& a, size_t r0, size_t g0, float* y, size_t y_stride) {
  constexpr int kSubs = Traits<F>::kSubs;
  constexpr int kQuads = int(kSuperBlock) / 4 / kSubs;  // k-quads per sub-block
  constexpr int kShift = OffsetShift<Traits<F>>::value;
  static_assert(kShift == 0 || kSuperBlock / kSubs == TileSumGroup(F), "a sum per sub-block");
  const size_t blocks = w.k / kSuperBlock, groups = w.k / TileSumGroup(F);
  const TokenTiles& tt = a.tiles;
  __m512 f[R][T];
  for (size_t i = 0; i < R; ++i) {
    for (size_t t = 0; t < T; ++t) f[i][t] = _mm512_setzero_ps();
  }
  RowBlock<kSubs> rb[R];
  alignas(64) int32_t sum_pairs[T][kSubs / 2][kTileTokens];
  for (size_t b = 0; b < blocks; ++b) {
    for (size_t i = 0; i < R; ++i) {
      const uint8_t* blk = w.data + (r0 + i) * w.row_bytes + b * BlockBytes(F);
      // R rows are R streams: the hardware prefetchers fell behind (a fifth of the time
      // stalled on the first bytes of each block).
      if (b + kPrefetchBlocks < blocks) {
        const char* ahead = reinterpret_cast<const char*>(blk + kPrefetchBlocks * BlockBytes(F));
        for (size_t line = 0; line < BlockBytes(F) + 64; line += 64) {
          _mm_prefetch(ahead + line, _MM_HINT_T0);
        }
      }
      Traits<F>::Unpack(blk, &rb[i]);
    }
    // The sums of sub-blocks 2p and 2p + 1 as int16 pairs (|Σa| ≤ 32·127 fits).
    for (size_t t = 0; t < T && kShift == 0; ++t) {
      const int32_t* sum = tt.sum + ((g0 + t) * groups + size_t(kSubs) * b) * kTileTokens;
      for (int p = 0; p < kSubs / 2; ++p) {
        const __m512i s0 = _mm512_loadu_si512(sum + 2 * p * kTileTokens);
        const __m512i s1 = _mm512_loadu_si512(sum + (2 * p + 1) * kTileTokens);
        _mm512_store_si512(sum_pairs[t][p],
                           _mm512_mask_blend_epi16(0xAAAAAAAA, s0, _mm512_slli_epi32(s1, 16)));
      }
    }
    // The compiler must broadcast the stored codes from memory rather than forward the
    // stored vectors through shuffles (see ReloadFromMemory in x86_avx512vnni.cc).
    asm volatile("" ::: "memory");
    __m512 sacc[R][T];
    for (size_t i = 0; i < R; ++i) {
      for (size_t t = 0; t < T; ++t) sacc[i][t] = _mm512_setzero_ps();
    }
    const int8_t* aq[T];
    for (size_t t = 0; t < T; ++t) aq[t] = tt.q + ((g0 + t) * w.k + b * kSuperBlock) * kTileTokens;
    for (int j = 0; j < kSubs; ++j) {
      __m512i start[T];
      for (size_t t = 0; t < T; ++t) {
        start[t] = _mm512_setzero_si512();
        if constexpr (kShift != 0) {
          const int32_t* sum =
              tt.sum + ((g0 + t) * groups + size_t(kSubs) * b + size_t(j)) * kTileTokens;
          start[t] = _mm512_sub_epi32(start[t], _mm512_slli_epi32(_mm512_loadu_si512(sum), kShift));
        }
      }
      __m512i acc[R][T];
      for (size_t i = 0; i < R; ++i) {
        for (size_t t = 0; t < T; ++t) acc[i][t] = start[t];
      }
#pragma GCC unroll 8
      for (int q = 0; q < kQuads; ++q) {
        __m512i x[T];
        for (size_t t = 0; t < T; ++t) x[t] = avx512::Load64(aq[t] + (kQuads * j + q) * 64);
        for (size_t i = 0; i < R; ++i) {
          const __m512i wq = Broadcast4(rb[i].codes + 4 * (kQuads * j + q));
          for (size_t t = 0; t < T; ++t) acc[i][t] = _mm512_dpbusd_epi32(acc[i][t], wq, x[t]);
        }
      }
      for (size_t i = 0; i < R; ++i) {
        const __m512 scale = _mm512_set1_ps(rb[i].scale[j]);
        for (size_t t = 0; t < T; ++t) {
          sacc[i][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[i][t]), scale, sacc[i][t]);
        }
      }
    }
    for (size_t t = 0; t < T; ++t) {
      const __m512 st = _mm512_loadu_ps(tt.scale + ((g0 + t) * blocks + b) * kTileTokens);
      for (size_t i = 0; i < R; ++i) {
        if constexpr (kShift != 0) {
          f[i][t] = _mm512_fmadd_ps(sacc[i][t], st, f[i][t]);
          continue;
        }
        __m512i sums = _mm512_setzero_si512();
        for (int p = 0; p < kSubs / 2; ++p) {
          sums = _mm512_dpwssd_epi32(sums, _mm512_load_si512(sum_pairs[t][p]),
                                     _mm512_set1_epi32(rb[i].pairs[p]));
        }
        const __m512 v =
            _mm512_fnmadd_ps(_mm512_cvtepi32_ps(sums), _mm512_set1_ps(rb[i].coef), sacc[i][t]);
        f[i][t] = _mm512_fmadd_ps(v, st, f[i][t]);
      }
    }
  }
  Store<R, T>(f, r0, g0, a.n, y, y_stride);
}

template <Format F, size_t R>
void Rows(const Weights& w, const Activations& a, size_t r0, float* y, size_t y_stride) {
  constexpr size_t kTiles = 2;
  const size_t tiles = TileCount(a.n);
  size_t g = 0;
  for (; g + kTiles <= tiles; g += kTiles) Pass<F, R, kTiles>(w, a, r0, g, y, y_stride);
  if (g < tiles) Pass<F, R, 1>(w, a, r0, g, y, y_stride);
}

// The many-token GEMM of the super-block formats (Q4_K, Q5_K, Q6_K, Q3_K, Q2_K, IQ4_XS, the
// lattice i-quants).
template <Format F>
void TiledGemm(const Weights& w, const Activations& a, size_t row_begin, size_t row_end, float* y,
               size_t y_stride) {
  constexpr size_t kRows = 4;
  size_t r = row_begin;
  for (; r + kRows <= row_end; r += kRows) Rows<F, kRows>(w, a, r, y, y_stride);
  switch (row_end - r) {
    case 3:
      Rows<F, 3>(w, a, r, y, y_stride);
      break;
    case 2:
      Rows<F, 2>(w, a, r, y, y_stride);
      break;
    case 1:
      Rows<F, 1>(w, a, r, y, y_stride);
      break;
    default:
      break;
  }
}

// Q8_0, Q5_0, Q4_0 and IQ4_NL: blocks of 32, each with its own fp16 d and its own activation scale
// per token, so every block ends in an fp32 product (d·s per row and token: one vmulps, one
// vcvtdq2ps and one fma per row and tile). vpdpbusd wants unsigned weights: the signed codes
// are stored plus 128 (Q8_0, IQ4_NL's codebook values), 16 (Q5_0) or 8 (Q4_0) and that offset times
// Σa of the block starts each accumulator (the same start for every row of a tile).
// A block's 32 codes plus the offset: Q4_0's nibbles are that already (q − 8 + 8; 1–2% of the
// 4096² n = 64 kernel); the others add it to their signed codes.
template <Format F>
inline __m256i StoredCodes32(const uint8_t* blk, __m256i offset) {
  if constexpr (F == Format::kQ4_0) {
    return x86::Nibbles32(blk + kQ4_0Qs);
  } else {
    return _mm256_add_epi8(x86::Codes32<F>(blk), offset);
  }
}

template <Format F, size_t R, size_t T>
void Pass32(const Weights& w, const Activations& a, size_t r0, size_t g0, float* y,
            size_t y_stride) {
  constexpr int kOffsetShift = F == Format::kQ5_0 ? 4 : F == Format::kQ4_0 ? 3 : 7;
  constexpr size_t kChunk = 8;  // blocks unpacked at a time
  const size_t blocks = w.k / 32;
  const TokenTiles& tt = a.tiles;
  const __m256i offset = _mm256_set1_epi8(char(1 << kOffsetShift));
  __m512 f[R][T];
  for (size_t i = 0; i < R; ++i) {
    for (size_t t = 0; t < T; ++t) f[i][t] = _mm512_setzero_ps();
  }
  alignas(64) uint8_t codes[R][kChunk * 32];
  float d[R][kChunk];
  for (size_t c0 = 0; c0 < blocks; c0 += kChunk) {
    const size_t count = std::min(kChunk, blocks - c0);
    for (size_t i = 0; i < R; ++i) {
      const uint8_t* row = w.data + (r0 + i) * w.row_bytes;
      if (c0 + 2 * kChunk <= blocks) {
        const char* ahead = reinterpret_cast<const char*>(row + (c0 + kChunk) * BlockBytes(F));
        for (size_t line = 0; line < kChunk * BlockBytes(F) + 64; line += 64) {
          _mm_prefetch(ahead + line, _MM_HINT_T0);
        }
      }
      for (size_t j = 0; j < count; ++j) {
        const uint8_t* blk = row + (c0 + j) * BlockBytes(F);
        _mm256_store_si256(reinterpret_cast<__m256i*>(codes[i] + 32 * j),
                           StoredCodes32<F>(blk, offset));
        d[i][j] = avx512::Half(blk);
      }
    }
    asm volatile("" ::: "memory");  // broadcast the codes from memory (see Pass)
    for (size_t j = 0; j < count; ++j) {
      const size_t b = c0 + j;
      __m512i acc[R][T];
      for (size_t t = 0; t < T; ++t) {
        const __m512i sum = _mm512_loadu_si512(tt.sum + ((g0 + t) * blocks + b) * kTileTokens);
        const __m512i start =
            _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(sum, kOffsetShift));
        for (size_t i = 0; i < R; ++i) acc[i][t] = start;
      }
#pragma GCC unroll 8
      for (int q = 0; q < 8; ++q) {
        __m512i x[T];
        for (size_t t = 0; t < T; ++t) {
          x[t] = avx512::Load64(tt.q + ((g0 + t) * w.k + 32 * b) * kTileTokens + 64 * q);
        }
        for (size_t i = 0; i < R; ++i) {
          const __m512i wq = Broadcast4(codes[i] + 32 * j + 4 * q);
          for (size_t t = 0; t < T; ++t) acc[i][t] = _mm512_dpbusd_epi32(acc[i][t], wq, x[t]);
        }
      }
      for (size_t t = 0; t < T; ++t) {
        const __m512 st = _mm512_loadu_ps(tt.scale + ((g0 + t) * blocks + b) * kTileTokens);
        for (size_t i = 0; i < R; ++i) {
          f[i][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[i][t]),
                                    _mm512_mul_ps(st, _mm512_set1_ps(d[i][j])), f[i][t]);
        }
      }
    }
  }
  Store<R, T>(f, r0, g0, a.n, y, y_stride);
}

template <Format F, size_t R>
void Rows32(const Weights& w, const Activations& a, size_t r0, float* y, size_t y_stride) {
  constexpr size_t kTiles = 2;
  const size_t tiles = TileCount(a.n);
  size_t g = 0;
  for (; g + kTiles <= tiles; g += kTiles) Pass32<F, R, kTiles>(w, a, r0, g, y, y_stride);
  if (g < tiles) Pass32<F, R, 1>(w, a, r0, g, y, y_stride);
}

// The many-token GEMM of Q8_0, Q5_0, Q4_0 and IQ4_NL.
template <Format F>
void TiledGemm32(const Weights& w, const Activations& a, size_t row_begin, size_t row_end, float* y,
                 size_t y_stride) {
  constexpr size_t kRows = 4;
  size_t r = row_begin;
  for (; r + kRows <= row_end; r += kRows) Rows32<F, kRows>(w, a, r, y, y_stride);
  switch (row_end - r) {
    case 3:
      Rows32<F, 3>(w, a, r, y, y_stride);
      break;
    case 2:
      Rows32<F, 2>(w, a, r, y, y_stride);
      break;
    case 1:
      Rows32<F, 1>(w, a, r, y, y_stride);
      break;
    default:
      break;
  }
}

}  // namespace
}  // namespace lutra::kernels::kquant::vnni_blocked
