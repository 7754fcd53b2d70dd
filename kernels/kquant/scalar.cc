// Scalar kquant GEMMs: the definition of the arithmetic (kquant.h), for correctness and as the
// fallback. Per row, token and block: the exact int32 sums, then one or two fp32 products.
#include "kernels/kquant/block_fields.h"
#include "kernels/kquant/variants.h"

namespace lutra::kernels::kquant {

namespace {

// Q4_K, and Q5_K (kFive): the same scales and mins, a fifth bit per code from qh.
template <bool kFive>
void Q45KScalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end, float* y,
                size_t y_stride) {
  constexpr Format kFormat = kFive ? Format::kQ5K : Format::kQ4K;
  const size_t blocks = w.k / kSuperBlock, sums = w.k / kSumGroup;
  for (size_t r = row_begin; r < row_end; ++r) {
    for (size_t t = 0; t < a.n; ++t) {
      float acc = 0.0f;
      for (size_t b = 0; b < blocks; ++b) {
        const uint8_t* blk = w.data + r * w.row_bytes + b * BlockBytes(kFormat);
        const int8_t* aq = a.q + t * w.k + b * kSuperBlock;
        const int16_t* bs = a.bsum + t * sums + b * (kSuperBlock / kSumGroup);
        uint8_t sc[8], mn[8];
        Q4KScalesMins(blk + kQ4KScales, sc, mn);
        int32_t dots = 0, mins = 0;
        for (int j = 0; j < 8; ++j) {
          const uint8_t* qs = blk + (kFive ? kQ5KQs : kQ4KQs) + 32 * (j / 2);
          const int shift = 4 * (j % 2);
          int32_t dot = 0;
          for (int l = 0; l < 32; ++l) {
            int q = (qs[l] >> shift) & 15;
            if constexpr (kFive) q |= ((blk[kQ5KQh + l] >> j) & 1) << 4;
            dot += q * aq[32 * j + l];
          }
          dots += sc[j] * dot;
          mins += mn[j] * (bs[2 * j] + bs[2 * j + 1]);
        }
        const float s = a.scale[t * blocks + b];
        acc += HalfAt(blk) * s * float(dots) - HalfAt(blk + 2) * s * float(mins);
      }
      y[t * y_stride + r] = acc;
    }
  }
}

}  // namespace

void q4k_gemm__scalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  Q45KScalar<false>(w, a, row_begin, row_end, y, y_stride);
}

void q5k_gemm__scalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  Q45KScalar<true>(w, a, row_begin, row_end, y, y_stride);
}

void q6k_gemm__scalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  const size_t blocks = w.k / kSuperBlock, sums = w.k / kSumGroup;
  for (size_t r = row_begin; r < row_end; ++r) {
    for (size_t t = 0; t < a.n; ++t) {
      float acc = 0.0f;
      for (size_t b = 0; b < blocks; ++b) {
        const uint8_t* blk = w.data + r * w.row_bytes + b * BlockBytes(Format::kQ6K);
        const int8_t* aq = a.q + t * w.k + b * kSuperBlock;
        const int16_t* bs = a.bsum + t * sums + b * (kSuperBlock / kSumGroup);
        const int8_t* sc = reinterpret_cast<const int8_t*>(blk + kQ6KScales);
        int32_t total = 0;
        for (int i = 0; i < 16; ++i) {  // sub-block i: half h, quarter s, lanes l0..l0+15
          const int h = i / 8, s = (i / 2) % 4, l0 = 16 * (i % 2);
          const uint8_t* ql = blk + 64 * h + 32 * (s & 1);
          const uint8_t* qh = blk + kQ6KQh + 32 * h;
          int32_t dot = 0;
          for (int l = l0; l < l0 + 16; ++l) {
            const int lo = (ql[l] >> (4 * (s / 2))) & 15, hi = (qh[l] >> (2 * s)) & 3;
            dot += (lo | hi << 4) * aq[16 * i + l - l0];
          }
          total += sc[i] * (dot - 32 * bs[i]);
        }
        acc += HalfAt(blk + kQ6KD) * a.scale[t * blocks + b] * float(total);
      }
      y[t * y_stride + r] = acc;
    }
  }
}

void q3k_gemm__scalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  const size_t blocks = w.k / kSuperBlock, sums = w.k / kSumGroup;
  for (size_t r = row_begin; r < row_end; ++r) {
    for (size_t t = 0; t < a.n; ++t) {
      float acc = 0.0f;
      for (size_t b = 0; b < blocks; ++b) {
        const uint8_t* blk = w.data + r * w.row_bytes + b * BlockBytes(Format::kQ3K);
        const int8_t* aq = a.q + t * w.k + b * kSuperBlock;
        const int16_t* bs = a.bsum + t * sums + b * (kSuperBlock / kSumGroup);
        uint64_t sc[2];
        Q3KScales16(blk + kQ3KScales, &sc[0], &sc[1]);
        int32_t total = 0;
        for (int i = 0; i < 16; ++i) {  // sub-block i: half h, quarter s, lanes l0..l0+15
          const int h = i / 8, s = (i / 2) % 4, l0 = 16 * (i % 2);
          const uint8_t* qs = blk + kQ3KQs + 32 * h;
          int32_t dot = 0;
          for (int l = l0; l < l0 + 16; ++l) {
            const int q = ((qs[l] >> (2 * s)) & 3) | ((blk[l] >> (4 * h + s)) & 1) << 2;
            dot += q * aq[16 * i + l - l0];
          }
          const int scale = int((sc[i / 8] >> (8 * (i % 8))) & 63) - 32;
          total += scale * (dot - 4 * bs[i]);
        }
        acc += HalfAt(blk + kQ3KD) * a.scale[t * blocks + b] * float(total);
      }
      y[t * y_stride + r] = acc;
    }
  }
}

void q2k_gemm__scalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                      float* y, size_t y_stride) {
  const size_t blocks = w.k / kSuperBlock, sums = w.k / kSumGroup;
  for (size_t r = row_begin; r < row_end; ++r) {
    for (size_t t = 0; t < a.n; ++t) {
      float acc = 0.0f;
      for (size_t b = 0; b < blocks; ++b) {
        const uint8_t* blk = w.data + r * w.row_bytes + b * BlockBytes(Format::kQ2K);
        const int8_t* aq = a.q + t * w.k + b * kSuperBlock;
        const int16_t* bs = a.bsum + t * sums + b * (kSuperBlock / kSumGroup);
        int32_t dots = 0, mins = 0;
        for (int i = 0; i < 16; ++i) {
          const int h = i / 8, s = (i / 2) % 4, l0 = 16 * (i % 2);
          const uint8_t* qs = blk + kQ2KQs + 32 * h;
          int32_t dot = 0;
          for (int l = l0; l < l0 + 16; ++l) dot += ((qs[l] >> (2 * s)) & 3) * aq[16 * i + l - l0];
          dots += (blk[i] & 15) * dot;
          mins += (blk[i] >> 4) * bs[i];
        }
        const float s = a.scale[t * blocks + b];
        acc += HalfAt(blk + kQ2KD) * s * float(dots) - HalfAt(blk + kQ2KD + 2) * s * float(mins);
      }
      y[t * y_stride + r] = acc;
    }
  }
}

void q8_0_gemm__scalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                       float* y, size_t y_stride) {
  const size_t blocks = w.k / 32;
  for (size_t r = row_begin; r < row_end; ++r) {
    for (size_t t = 0; t < a.n; ++t) {
      float acc = 0.0f;
      for (size_t b = 0; b < blocks; ++b) {
        const uint8_t* blk = w.data + r * w.row_bytes + b * BlockBytes(Format::kQ8_0);
        const int8_t* aq = a.q + t * w.k + b * 32;
        int32_t dot = 0;
        for (int l = 0; l < 32; ++l) dot += int8_t(blk[kQ8_0Qs + l]) * aq[l];
        acc += HalfAt(blk) * a.scale[t * blocks + b] * float(dot);
      }
      y[t * y_stride + r] = acc;
    }
  }
}

namespace {

// Q5_0 and Q4_0: unsigned codes (the nibble, Q5_0 with bit j of qh as bit 4 of weight j), the
// offset (16, 8) taken off each block's dot as offset·Σa.
template <Format F>
void Legacy32Gemm(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                  float* y, size_t y_stride) {
  constexpr bool kFive = F == Format::kQ5_0;
  constexpr size_t kQs = kFive ? kQ5_0Qs : kQ4_0Qs;
  constexpr int kOffset = kFive ? 16 : 8;
  const size_t blocks = w.k / 32, sums = w.k / kSumGroup;
  for (size_t r = row_begin; r < row_end; ++r) {
    for (size_t t = 0; t < a.n; ++t) {
      float acc = 0.0f;
      for (size_t b = 0; b < blocks; ++b) {
        const uint8_t* blk = w.data + r * w.row_bytes + b * BlockBytes(F);
        const int8_t* aq = a.q + t * w.k + b * 32;
        uint32_t qh = 0;
        if constexpr (kFive) std::memcpy(&qh, blk + kQ5_0Qh, sizeof qh);
        int32_t dot = 0;
        for (int l = 0; l < 32; ++l) {
          const uint8_t byte = blk[kQs + l % 16];
          const int q = (l < 16 ? byte & 15 : byte >> 4) | int((qh >> l) & 1) << 4;
          dot += q * aq[l];
        }
        dot -= kOffset * (a.bsum[t * sums + 2 * b] + a.bsum[t * sums + 2 * b + 1]);
        acc += HalfAt(blk) * a.scale[t * blocks + b] * float(dot);
      }
      y[t * y_stride + r] = acc;
    }
  }
}

}  // namespace

void q5_0_gemm__scalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                       float* y, size_t y_stride) {
  Legacy32Gemm<Format::kQ5_0>(w, a, row_begin, row_end, y, y_stride);
}

void q4_0_gemm__scalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                       float* y, size_t y_stride) {
  Legacy32Gemm<Format::kQ4_0>(w, a, row_begin, row_end, y, y_stride);
}

// IQ4_NL and IQ4_XS: each nibble picks its codebook value (kIQ4Values), an int8 times the int8
// activation; IQ4_NL as Q8_0 (a block of 32, its d), IQ4_XS as Q4_K without mins (eight
// sub-blocks of 32 under 6-bit scales − 32, one d per 256).
void iq4nl_gemm__scalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride) {
  const size_t blocks = w.k / 32;
  for (size_t r = row_begin; r < row_end; ++r) {
    for (size_t t = 0; t < a.n; ++t) {
      float acc = 0.0f;
      for (size_t b = 0; b < blocks; ++b) {
        const uint8_t* blk = w.data + r * w.row_bytes + b * BlockBytes(Format::kIQ4NL);
        const int8_t* aq = a.q + t * w.k + b * 32;
        int32_t dot = 0;
        for (int l = 0; l < 16; ++l) {
          const uint8_t byte = blk[kIQ4NLQs + l];
          dot += kIQ4Values[byte & 15] * aq[l] + kIQ4Values[byte >> 4] * aq[l + 16];
        }
        acc += HalfAt(blk) * a.scale[t * blocks + b] * float(dot);
      }
      y[t * y_stride + r] = acc;
    }
  }
}

void iq4xs_gemm__scalar(const Weights& w, const Activations& a, size_t row_begin, size_t row_end,
                        float* y, size_t y_stride) {
  const size_t blocks = w.k / kSuperBlock;
  for (size_t r = row_begin; r < row_end; ++r) {
    for (size_t t = 0; t < a.n; ++t) {
      float acc = 0.0f;
      for (size_t b = 0; b < blocks; ++b) {
        const uint8_t* blk = w.data + r * w.row_bytes + b * BlockBytes(Format::kIQ4XS);
        const int8_t* aq = a.q + t * w.k + b * kSuperBlock;
        const uint64_t scales = IQ4XSScales8(blk);
        int32_t total = 0;
        for (int j = 0; j < 8; ++j) {
          const uint8_t* qs = blk + kIQ4XSQs + 16 * j;
          int32_t dot = 0;
          for (int l = 0; l < 16; ++l) {
            dot += kIQ4Values[qs[l] & 15] * aq[32 * j + l] +
                   kIQ4Values[qs[l] >> 4] * aq[32 * j + 16 + l];
          }
          total += (int((scales >> (8 * j)) & 63) - 32) * dot;
        }
        acc += HalfAt(blk) * a.scale[t * blocks + b] * float(total);
      }
      y[t * y_stride + r] = acc;
    }
  }
}

}  // namespace lutra::kernels::kquant
