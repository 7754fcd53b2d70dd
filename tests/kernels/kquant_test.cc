// kquant (GEMM on GGUF blocks as files store them: Q4_K, Q5_K, Q6_K, Q3_K, Q2_K, Q8_0, Q5_0,
// Q4_0, IQ4_NL, IQ4_XS): the activation quantizer keeps every value within half a step and sums its
// codes per 16, and every registry variant matches a double-precision reference built from the
// format's own decoder (engine/src/formats: codes, scales and mins, exact; written from the block
// layouts, not from the kernels; Q4_0, IQ4_NL and IQ4_XS by DecodeQ4_0 and DecodeIQ4 below,
// from llama.cpp's definitions) times the original fp32 activations. The tolerance is the
// activations' rounding (|x − s·a| ≤ s/2 per value, times |w|) plus fp32 rounding of the
// per-super-block products. Weights sit at an odd address and end at a guard page (the file's
// bytes have no alignment; a kernel reading past a row's end faults). Activations the quantizer
// represents exactly with codes at their extremes leave rounding alone, which a saturated
// 16-bit pair sum, a wrong offset or a wrong scale unpacking would exceed by far. The 32-weight
// formats (Q8_0, Q5_0, Q4_0, IQ4_NL) also take rows whose k is no multiple of 256.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "engine/src/formats/kquant_formats.h"
#include "kernels/f16/convert.h"
#include "kernels/kquant/kquant.h"
#include "tests/kernels/lut_testing.h"
#include "tests/kernels/registry_testing.h"
#include "tests/testing/guarded_buffer.h"
#include "tests/testing/rng.h"
#include "tests/testing/variant_log.h"

namespace lutra::kernels::kquant {

void PrintTo(const Kernels& k, std::ostream* os) {
  *os << k.name;
}

namespace {

using testing::GuardedBuffer;
using testing::Rng;

gguf::TensorType TypeOf(Format f) {
  switch (f) {
    case Format::kQ4K:
      return gguf::TensorType::Q4_K;
    case Format::kQ6K:
      return gguf::TensorType::Q6_K;
    case Format::kQ8_0:
      return gguf::TensorType::Q8_0;
    case Format::kQ5K:
      return gguf::TensorType::Q5_K;
    case Format::kQ3K:
      return gguf::TensorType::Q3_K;
    case Format::kQ2K:
      return gguf::TensorType::Q2_K;
    case Format::kQ5_0:
      return gguf::TensorType::Q5_0;
    case Format::kQ4_0:
      return gguf::TensorType::Q4_0;
    case Format::kIQ4NL:
      return gguf::TensorType::IQ4_NL;
    case Format::kIQ4XS:
      return gguf::TensorType::IQ4_XS;
    default:
      break;  // the lattice i-quants: kquant_iq_test.cc
  }
  return gguf::TensorType::F32;
}

const char* NameOf(Format f) {
  switch (f) {
    case Format::kQ4K:
      return "q4k";
    case Format::kQ6K:
      return "q6k";
    case Format::kQ8_0:
      return "q8_0";
    case Format::kQ5K:
      return "q5k";
    case Format::kQ3K:
      return "q3k";
    case Format::kQ2K:
      return "q2k";
    case Format::kQ5_0:
      return "q5_0";
    case Format::kQ4_0:
      return "q4_0";
    case Format::kIQ4NL:
      return "iq4nl";
    case Format::kIQ4XS:
      return "iq4xs";
    case Format::kIQ2XXS:
      return "iq2xxs";
    case Format::kIQ2XS:
      return "iq2xs";
    case Format::kIQ2S:
      return "iq2s";
    case Format::kIQ3XXS:
      return "iq3xxs";
    case Format::kIQ3S:
      return "iq3s";
    case Format::kIQ1S:
      return "iq1s";
    case Format::kIQ1M:
      return "iq1m";
  }
  return "";
}

// Byte offsets of the block's fp16 d and (SIZE_MAX: none) dmin, from the block layouts.
void HalfFields(Format f, size_t* d, size_t* dmin) {
  *d = 0, *dmin = SIZE_MAX;
  switch (f) {
    case Format::kQ4K:
    case Format::kQ5K:
      *d = 0, *dmin = 2;
      break;
    case Format::kQ6K:
      *d = 208;
      break;
    case Format::kQ3K:
      *d = 108;
      break;
    case Format::kQ2K:
      *d = 80, *dmin = 82;
      break;
    case Format::kQ8_0:
    case Format::kQ5_0:
    case Format::kQ4_0:
    case Format::kIQ4NL:
    case Format::kIQ4XS:
      *d = 0;
      break;
    default:
      break;  // the lattice i-quants: kquant_iq_test.cc
  }
}

bool IsIQ4(Format f) {
  return f == Format::kIQ4NL || f == Format::kIQ4XS;
}

// IQ4_NL and IQ4_XS as llama.cpp defines them (ggml-common.h's block_iq4_nl / block_iq4_xs,
// ggml-quants.c's dequantize_row_iq4_nl / _iq4_xs), written here from that definition: per 32
// weights, 16 bytes whose low nibbles are weights 0..15 and high nibbles 16..31, each nibble an
// index into the 16 values below; the scale of the 32 is the block's fp16 d (IQ4_NL, 18-byte
// blocks: d, qs[16]) or d·(ls − 32) (IQ4_XS, 136-byte blocks of 256: d, uint16 scales_h,
// scales_l[4], qs[128]; ls of sub-block j = nibble j % 2 of scales_l[j / 2] | bits 2j..2j+1 of
// scales_h << 4). Codes (the values) and scales per 32 of a row of k weights.
void DecodeIQ4(Format f, const uint8_t* row, size_t k, int8_t* codes, float* scales) {
  static constexpr int kValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                      1,    13,   25,  38,  53,  69,  89,  113};
  auto half = [](const uint8_t* p) { return f16::HalfToFloat(uint16_t(p[0] | p[1] << 8)); };
  for (size_t g = 0; g < k / 32; ++g) {
    const uint8_t* qs;
    if (f == Format::kIQ4NL) {
      const uint8_t* blk = row + g * 18;
      scales[g] = half(blk);
      qs = blk + 2;
    } else {
      const uint8_t* blk = row + (g / 8) * 136;
      const size_t j = g % 8;
      const int scales_h = blk[2] | blk[3] << 8;
      const int ls = ((blk[4 + j / 2] >> (4 * (j % 2))) & 15) | ((scales_h >> (2 * j)) & 3) << 4;
      scales[g] = half(blk) * float(ls - 32);
      qs = blk + 8 + 16 * j;
    }
    for (size_t l = 0; l < 16; ++l) {
      codes[32 * g + l] = int8_t(kValues[qs[l] & 15]);
      codes[32 * g + 16 + l] = int8_t(kValues[qs[l] >> 4]);
    }
  }
}

// Q4_0 as llama.cpp defines it (ggml-common.h's block_q4_0, dequantize_row_q4_0): per 32
// weights, 18 bytes: fp16 d, then 16 bytes whose low nibbles q are weights 0..15 and high
// nibbles 16..31, each weight d·(q − 8). Codes q − 8 and scales per 32 of a row of k weights.
void DecodeQ4_0(const uint8_t* row, size_t k, int8_t* codes, float* scales) {
  for (size_t g = 0; g < k / 32; ++g) {
    const uint8_t* blk = row + g * 18;
    scales[g] = f16::HalfToFloat(uint16_t(blk[0] | blk[1] << 8));
    for (size_t l = 0; l < 16; ++l) {
      codes[32 * g + l] = int8_t((blk[2 + l] & 15) - 8);
      codes[32 * g + 16 + l] = int8_t((blk[2 + l] >> 4) - 8);
    }
  }
}

// Token-major activations and, for `format`, their interleaved copy (the many-token kernels
// take it from kMinTiledTokens tokens on).
struct QuantizedTokens {
  QuantizedTokens(size_t k, size_t n, const std::vector<float>& x, Format format = Format::kQ4K)
      : q(n * k),
        scale(n * k / ScaleGroup(format)),
        bsum(n * k / kSumGroup),
        tq(TileCount(n) * k * kTileTokens),
        tscale(TileCount(n) * k / ScaleGroup(format) * kTileTokens),
        tsum(TileCount(n) * k / TileSumGroup(format) * kTileTokens) {
    const size_t groups = k / ScaleGroup(format);
    for (size_t t = 0; t < n; ++t) {
      Quantize(format, k, x.data() + t * k, q.data() + t * k, scale.data() + t * groups,
               bsum.data() + t * (k / kSumGroup));
    }
    view = {k, n, q.data(), scale.data(), bsum.data(), {}};
    Interleave(format, view, tq.data(), tscale.data(), tsum.data());
    view.tiles = {tq.data(), tscale.data(), tsum.data()};
  }
  GuardedBuffer<int8_t> q;
  GuardedBuffer<float> scale;
  GuardedBuffer<int16_t> bsum;
  GuardedBuffer<int8_t> tq;
  GuardedBuffer<float> tscale;
  GuardedBuffer<int32_t> tsum;
  Activations view;
};

TEST(KQuant, QuantizeKeepsHalfAStepAndSumsCodes) {
  Rng rng(3);
  const size_t k = 4 * kSuperBlock;
  std::vector<float> x(k);
  for (auto& v : x) v = rng.Normal(0.0f, 2.0f);
  for (size_t i = 0; i < kSuperBlock; ++i) x[2 * kSuperBlock + i] = 0.0f;  // an all-zero block
  x[3 * kSuperBlock + 7] = -1e6f;                                          // an outlier
  QuantizedTokens a(k, 1, x);
  for (size_t b = 0; b < k / kSuperBlock; ++b) {
    double amax = 0;
    for (size_t i = b * kSuperBlock; i < (b + 1) * kSuperBlock; ++i) {
      amax = std::max(amax, double(std::fabs(x[i])));
      ASSERT_GE(a.q[i], -127) << i;
      ASSERT_LE(a.q[i], 127) << i;
      ASSERT_LE(std::fabs(double(x[i]) - double(a.scale[b]) * a.q[i]),
                0.5 * a.scale[b] * (1 + 1e-6))
          << "block " << b << " value " << i;
    }
    EXPECT_FLOAT_EQ(a.scale[b], float(amax / 127)) << b;
  }
  for (size_t g = 0; g < k / kSumGroup; ++g) {
    int sum = 0;
    for (size_t i = 0; i < kSumGroup; ++i) sum += a.q[g * kSumGroup + i];
    EXPECT_EQ(a.bsum[g], sum) << g;
  }
  EXPECT_EQ(a.scale[2], 0.0f);
}

TEST(KQuant, QuantizeBy32KeepsHalfAStep) {
  Rng rng(5);
  const size_t k = 3 * 32;
  std::vector<float> x(k);
  for (auto& v : x) v = rng.Normal(0.0f, 2.0f);
  for (size_t i = 32; i < 64; ++i) x[i] = 0.0f;  // an all-zero block
  x[70] = 1e5f;
  QuantizedTokens a(k, 1, x, Format::kQ8_0);
  for (size_t b = 0; b < 3; ++b) {
    double amax = 0;
    for (size_t i = 32 * b; i < 32 * (b + 1); ++i) {
      amax = std::max(amax, double(std::fabs(x[i])));
      ASSERT_LE(std::fabs(double(x[i]) - double(a.scale[b]) * a.q[i]),
                0.5 * a.scale[b] * (1 + 1e-6))
          << i;
    }
    EXPECT_FLOAT_EQ(a.scale[b], float(amax / 127)) << b;
  }
  for (size_t g = 0; g < k / kSumGroup; ++g) {
    int sum = 0;
    for (size_t i = 0; i < kSumGroup; ++i) sum += a.q[g * kSumGroup + i];
    EXPECT_EQ(a.bsum[g], sum) << g;
  }
  EXPECT_EQ(a.scale[1], 0.0f);
}

TEST(KQuant, QuantizeCarriesNaNAndInfinity) {
  std::vector<float> x(2 * kSuperBlock, 1.0f);
  x[7] = std::numeric_limits<float>::quiet_NaN();
  x[300] = std::numeric_limits<float>::infinity();
  QuantizedTokens a(x.size(), 1, x);
  EXPECT_TRUE(std::isnan(a.scale[0]));
  EXPECT_FALSE(std::isfinite(a.scale[1]));
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(a.q[i], 0) << i;
}

// Every quantizer against the definition: codes within half a step (round to nearest, ties
// away from zero checked on values placed exactly on ties), |code| ≤ 127, scale = amax / 127,
// the sums of 16 codes, zero blocks, and non-finite inputs giving non-finite scales with codes
// 0; per group size (256 and 32).
class KQuantQuantizer : public ::testing::TestWithParam<Quantizer> {};

TEST_P(KQuantQuantizer, MatchesTheDefinition) {
  const Quantizer& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  for (Format format : {Format::kQ4K, Format::kQ8_0}) {
    const size_t group = ScaleGroup(format), k = 8 * kSuperBlock, groups = k / group;
    Rng rng(11);
    std::vector<float> x(k);
    for (auto& e : x) e = rng.Normal(0.0f, 3.0f);
    for (size_t i = 0; i < group; ++i) x[group + i] = 0.0f;  // an all-zero group
    x[3 * group + 5] = -4e4f;                                // an outlier
    // Exact ties: a group whose amax is 127, so codes are the values; halves round away.
    for (size_t i = 0; i < group; ++i) x[4 * group + i] = float(int(i % 64) - 32) + 0.5f;
    x[4 * group] = 127.0f;
    x[5 * group + 3] = std::numeric_limits<float>::quiet_NaN();
    x[6 * group + 9] = -std::numeric_limits<float>::infinity();
    GuardedBuffer<int8_t> q(k);
    GuardedBuffer<float> scale(groups);
    GuardedBuffer<int16_t> bsum(k / kSumGroup);
    v.quantize(format, k, x.data(), q.data(), scale.data(), bsum.data());
    ASSERT_TRUE(q.Intact() && scale.Intact() && bsum.Intact()) << v.name;
    for (size_t b = 0; b < groups; ++b) {
      double amax = 0;
      bool finite = true;
      for (size_t i = b * group; i < (b + 1) * group; ++i) {
        finite = finite && std::isfinite(x[i]);
        amax = std::max(amax, double(std::fabs(x[i])));
      }
      if (!finite) {
        EXPECT_FALSE(std::isfinite(scale[b])) << v.name << " group " << b;
        for (size_t i = b * group; i < (b + 1) * group; ++i) ASSERT_EQ(q[i], 0) << v.name << i;
        continue;
      }
      EXPECT_FLOAT_EQ(scale[b], float(amax / 127)) << v.name << " group " << b;
      for (size_t i = b * group; i < (b + 1) * group; ++i) {
        ASSERT_LE(std::abs(int(q[i])), 127) << v.name << " " << i;
        if (b == 4) {  // ties: |x| + 0.5 truncated, with the sign of x
          const double want = std::copysign(std::floor(std::fabs(double(x[i])) + 0.5), x[i]);
          ASSERT_EQ(q[i], int(want)) << v.name << " tie " << x[i];
        } else {
          ASSERT_LE(std::fabs(double(x[i]) - double(scale[b]) * q[i]), 0.5 * scale[b] * (1 + 1e-6))
              << v.name << " value " << i;
        }
      }
    }
    for (size_t g = 0; g < k / kSumGroup; ++g) {
      int sum = 0;
      for (size_t i = 0; i < kSumGroup; ++i) sum += q[g * kSumGroup + i];
      ASSERT_EQ(bsum[g], sum) << v.name << " sum " << g;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Registry, KQuantQuantizer, ::testing::ValuesIn(AllQuantizers()), [](const auto& info) {
      return std::string(info.param.name).substr(std::string("lutra_kquant_").size());
    });

TEST(KQuant, NamesAndSelection) {
  for (const Kernels& k : AllKernels()) {
    std::cmatch m;
    ASSERT_TRUE(
        testing::MatchName(k.name,
                           "lutra_kquant_(q4k|q5k|q6k|q3k|q2k|q8_0|q5_0|q4_0|iq4nl|iq4xs|iq2xxs|"
                           "iq2xs|iq2s|iq3xxs|iq3s|iq1s|iq1m)_gemm__([a-z0-9]+)",
                           k.isa, &m));
    EXPECT_EQ(m[1].str(), NameOf(k.format)) << k.name;
  }
  for (size_t i = 0; i < kFormats; ++i) {
    const Format f = static_cast<Format>(i);
    const Kernels* s = Select(arch::kLevelScalar, f);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->isa, arch::kLevelScalar);
    EXPECT_EQ(s->format, f);
  }
}

// A matrix of whole super-blocks in one buffer, one spare byte after the last row so the rows
// start at an odd address (the buffer ends at a guard page).
struct Matrix {
  Matrix(Format format, size_t m, size_t k)
      : format(format),
        m(m),
        k(k),
        row_bytes(k / BlockWeights(format) * BlockBytes(format)),
        bytes(m * row_bytes + 1) {}
  Weights view() const { return {m, k, bytes.data(), row_bytes}; }
  Format format;
  size_t m, k, row_bytes;
  GuardedBuffer<uint8_t> bytes;
};

void SetHalf(uint8_t* p, float v) {
  const uint16_t h = f16::FloatToHalf(v);
  std::memcpy(p, &h, sizeof h);
}

// Random codes, scales and mins over their whole ranges (Q6_K scales include −128, Q8_0 codes
// −128).
void FillRandom(Matrix& w, Rng& rng) {
  const size_t blocks = w.m * w.k / BlockWeights(w.format), bb = BlockBytes(w.format);
  size_t d, dmin;
  HalfFields(w.format, &d, &dmin);
  for (size_t b = 0; b < blocks; ++b) {
    uint8_t* blk = w.bytes.data() + b * bb;
    for (size_t i = 0; i < bb; ++i) blk[i] = uint8_t(rng.Int(0, 255));
    SetHalf(blk + d, rng.Uniform(-0.004f, 0.004f));
    if (dmin != SIZE_MAX) SetHalf(blk + dmin, rng.Uniform(-0.01f, 0.01f));
  }
}

// A row decoded by the format's decoder: w_i = wq_i − mn_i in double, and |scale| of each
// weight's sub-block (for the bound below). Decoded once per row, not once per token.
struct DecodedRow {
  std::vector<double> wq, mn, scale;
  double offset = 32;  // the largest code offset a kernel takes off as offset·Σa
};

DecodedRow Decode(const Matrix& w, size_t r) {
  const gguf::TensorType type = TypeOf(w.format);
  const bool own = IsIQ4(w.format) || w.format == Format::kQ4_0;  // decoded in this file
  const size_t sub = own ? 32 : engine::formats::CodeBlock(type);
  std::vector<int8_t> codes(w.k);
  std::vector<float> scales(w.k / sub), mins(w.k / sub);
  if (IsIQ4(w.format)) {
    DecodeIQ4(w.format, w.bytes.data() + r * w.row_bytes, w.k, codes.data(), scales.data());
  } else if (w.format == Format::kQ4_0) {
    DecodeQ4_0(w.bytes.data() + r * w.row_bytes, w.k, codes.data(), scales.data());
  } else {
    engine::formats::DecodeKQuantCodes(type, w.bytes.data() + r * w.row_bytes,
                                       w.k / BlockWeights(w.format), codes.data(), scales.data(),
                                       mins.data());
  }
  DecodedRow row{std::vector<double>(w.k), std::vector<double>(w.k), std::vector<double>(w.k)};
  for (size_t i = 0; i < w.k; ++i) {
    row.wq[i] = double(scales[i / sub]) * codes[i];
    row.mn[i] = mins[i / sub];
    row.scale[i] = std::fabs(double(scales[i / sub]));
  }
  if (IsIQ4(w.format)) row.offset = 128;  // VNNI paths: codebook values + 128
  return row;
}

// Σ_i w_i·x_i in double, and the bound described at the top (the activation term from each
// value's actual rounding, zero for exactly represented ones).
void Reference(const Matrix& w, const DecodedRow& row, const QuantizedTokens& a,
               const std::vector<float>& x, size_t t, double* value, double* bound) {
  const size_t group = ScaleGroup(w.format), groups = w.k / group;
  double v = 0, quant = 0, magnitude = 0;
  for (size_t i = 0; i < w.k; ++i) {
    const double s = a.scale[t * groups + i / group];
    const double wq = row.wq[i], mn = row.mn[i];
    v += (wq - mn) * x[t * w.k + i];
    // The activation's own rounding (at most s/2, which QuantizeKeepsHalfAStep checks).
    quant += std::fabs(wq - mn) * std::fabs(double(x[t * w.k + i]) - s * a.q[t * w.k + i]);
    // Q6_K's codes are q − 32 here (Q3_K q − 4, Q5_0 q − 16); the kernels multiply q and
    // subtract 32·Σa, whose terms are at most twice as large (IQ4: v + 128 and 128·Σa).
    magnitude += (2 * std::fabs(wq) + std::fabs(mn) + row.offset * row.scale[i]) * s *
                 std::fabs(double(a.q[t * w.k + i]));
  }
  *value = v;
  *bound = quant * (1 + 1e-9) + magnitude * double(groups + 2) * std::ldexp(1.0, -22) + 1e-30;
}

void Check(const Kernels& v, const Matrix& w, const std::vector<float>& x, size_t n,
           const std::string& where) {
  QuantizedTokens a(w.k, n, x, w.format);
  const size_t y_stride = w.m + 3;
  GuardedBuffer<float> y(n * y_stride);
  for (size_t i = 0; i < y.size(); ++i) y[i] = -7.0f;
  // Two calls, split at an odd row, as the threaded driver may.
  const size_t split = w.m / 2 + (w.m > 4 ? 1 : 0);
  if (split > 0) {
    v.gemm(w.view(), a.view, 0, split, y.data(), y_stride);
    for (size_t t = 0; t < n; ++t) {
      for (size_t r = split; r < y_stride; ++r) {
        ASSERT_EQ(y[t * y_stride + r], -7.0f) << where << " first call wrote row " << r;
      }
    }
  }
  v.gemm(w.view(), a.view, split, w.m, y.data(), y_stride);
  ASSERT_TRUE(y.Intact() && w.bytes.Intact() && a.q.Intact() && a.bsum.Intact() && a.tq.Intact() &&
              a.tsum.Intact())
      << where;
  for (size_t r = 0; r < w.m; ++r) {
    const DecodedRow row = Decode(w, r);
    for (size_t t = 0; t < n; ++t) {
      double want, bound;
      Reference(w, row, a, x, t, &want, &bound);
      ASSERT_NEAR(y[t * y_stride + r], want, bound) << where << " t=" << t << " row=" << r;
    }
  }
  for (size_t t = 0; t < n; ++t) {
    for (size_t r = w.m; r < y_stride; ++r) ASSERT_EQ(y[t * y_stride + r], -7.0f) << where;
  }
}

class KQuantVariant : public ::testing::TestWithParam<Kernels> {};

TEST_P(KQuantVariant, MatchesDequantizedReference) {
  const Kernels& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  const bool small = lut_testing::SmallScale();
  const std::vector<size_t> ms =
      small ? std::vector<size_t>{1, 5, 9} : std::vector<size_t>{1, 2, 3, 4, 5, 7, 8, 9, 33};
  // k: whole super-blocks; the 32-weight formats also k that 256 does not divide (odd block
  // counts, a last group of blocks shorter than the kernels' step).
  std::vector<size_t> ks =
      small ? std::vector<size_t>{256, 768} : std::vector<size_t>{256, 512, 768, 1280, 2048};
  if (BlockWeights(v.format) == 32) {
    const std::vector<size_t> more =
        small ? std::vector<size_t>{32, 352} : std::vector<size_t>{32, 64, 96, 160, 352, 1056};
    ks.insert(ks.begin(), more.begin(), more.end());
  }
  // 12 and more: the many-token kernels' interleaved path, with full and partial tiles of 16
  // and more tiles than one pass over a row takes (4).
  const std::vector<size_t> ns =
      small ? std::vector<size_t>{1, 3, 17} : std::vector<size_t>{1, 2, 3, 5, 8, 9, 12, 16, 33, 80};
  Rng rng(29);
  for (size_t k : ks) {
    // One set of activations per k: every n takes its first n tokens (drawing them per m and
    // n was most of this test's time). Zeros in every token of the longest n.
    const size_t n_max = *std::max_element(ns.begin(), ns.end());
    std::vector<float> x_all(n_max * k);
    for (auto& e : x_all) e = rng.Normal(0.0f, 1.0f);
    for (size_t t = 0; t < n_max; ++t) {
      for (size_t i = 0; i < 4; ++i) x_all[t * k + size_t(rng.Int(0, int(k) - 1))] = 0.0f;
    }
    for (size_t m : ms) {
      Matrix w(v.format, m, k);
      FillRandom(w, rng);
      for (size_t n : ns) {
        const std::vector<float> x(x_all.begin(), x_all.begin() + ptrdiff_t(n * k));
        Check(v, w, x, n,
              std::string(v.name) + " m=" + std::to_string(m) + " k=" + std::to_string(k) +
                  " n=" + std::to_string(n));
      }
    }
  }
}

// Rows longer than a kernel's on-stack copy of the activations (the AVX-512 VNNI IQ4_XS decode
// regroups up to 32768), one token and two.
TEST_P(KQuantVariant, LongRows) {
  const Kernels& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  Rng rng(31);
  const size_t m = 3, k = 129 * kSuperBlock;
  Matrix w(v.format, m, k);
  FillRandom(w, rng);
  for (size_t n : {size_t(1), size_t(2)}) {
    std::vector<float> x(n * k);
    for (auto& e : x) e = rng.Normal(0.0f, 1.0f);
    Check(v, w, x, n, std::string(v.name) + " k=" + std::to_string(k) + " n=" + std::to_string(n));
  }
}

// Blocks whose codes and scales are at their extremes: every code at its largest magnitude
// (Q8_0 −128, 127 and the two alternating; Q3_K −4 under scale −32 or 3 under 31; Q5_0 −16 or
// 15; Q4_0 −8 or 7; IQ4_NL / IQ4_XS −127 under scale −32, 113 under 31, and every nibble value in
// every sub-block; the others all bits set, with the largest scales: Q4_K / Q5_K 63 with mins 63,
// Q6_K 127 and −128 alternating, Q2_K 15 with mins 15), d = 1 (dmin 0.5 or 0).
void FillExtreme(Matrix& w) {
  const size_t bb = BlockBytes(w.format);
  size_t d, dmin;
  HalfFields(w.format, &d, &dmin);
  for (size_t b = 0; b < w.m * w.k / BlockWeights(w.format); ++b) {
    uint8_t* blk = w.bytes.data() + b * bb;
    std::memset(blk, 0xff, bb);
    switch (w.format) {
      case Format::kQ6K:
        for (int i = 0; i < 16; ++i) blk[192 + i] = i % 2 ? 0x80 : 0x7f;
        break;
      case Format::kQ8_0:
        for (size_t i = 0; i < 32; ++i) {
          const uint8_t pattern[] = {0x80, 0x7f, uint8_t(i % 2 ? 0x7f : 0x80)};
          blk[2 + i] = pattern[b % 3];
        }
        break;
      case Format::kQ3K:
      case Format::kQ5_0:
      case Format::kQ4_0:
        if (b % 2) std::memset(blk, 0, bb);
        break;
      case Format::kIQ4NL:
      case Format::kIQ4XS: {
        const size_t qs = w.format == Format::kIQ4NL ? 2 : 8;
        if (b % 3 == 1) std::memset(blk, 0, bb);
        // Low nibbles 0..15, high nibbles 15..0 in every 16 bytes (under scale 31 for IQ4_XS).
        if (b % 3 == 2) {
          for (size_t i = qs; i < bb; ++i)
            blk[i] = uint8_t((i - qs) % 16 | (15 - (i - qs) % 16) << 4);
        }
        break;
      }
      default:
        break;
    }
    SetHalf(blk + d, 1.0f);
    if (dmin != SIZE_MAX) SetHalf(blk + dmin, b % 2 ? 0.5f : 0.0f);
  }
}

// Extreme blocks (above) against activations the quantizer represents exactly (integers with
// 127 in every scale group, so s = 1): every sub-block dot is at its extreme, and only fp32
// rounding separates the kernel from the reference.
TEST_P(KQuantVariant, ExtremeCodesStayExact) {
  const Kernels& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  const size_t m = 9, k = 4 * kSuperBlock + (BlockWeights(v.format) == 32 ? 96 : 0);
  const size_t group = ScaleGroup(v.format);
  // One token (the ARM decode kernels' own path) and both paths of the many-token kernels.
  for (size_t n : {size_t(1), size_t(4), size_t(20)}) {
    Matrix w(v.format, m, k);
    FillExtreme(w);
    std::vector<float> x(n * k);
    for (size_t t = 0; t < n; ++t) {
      for (size_t c = 0; c < k; ++c) {
        const bool first = c % group == 0;
        const float patterns[] = {-127.0f, 127.0f, c % 2 ? -127.0f : 127.0f,
                                  first ? 127.0f : float(int((c + t) * 37 % 255) - 127)};
        x[t * k + c] = patterns[t % 4];
      }
    }
    Check(v, w, x, n, std::string(v.name) + " extremes n=" + std::to_string(n));
  }
}

// The formats with a decoder in engine/src/formats (the lattice i-quants: kquant_iq_test.cc).
std::vector<Kernels> BlockFormatKernels() {
  std::vector<Kernels> out;
  for (const Kernels& k : AllKernels()) {
    if (!IsGridFormat(k.format)) out.push_back(k);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Registry, KQuantVariant, ::testing::ValuesIn(BlockFormatKernels()),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           return name.substr(std::string("lutra_kquant_").size());
                         });

}  // namespace
}  // namespace lutra::kernels::kquant
