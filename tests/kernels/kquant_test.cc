// kquant (GEMM on Q4_K / Q6_K super-blocks as files store them): the activation quantizer keeps
// every value within half a step and sums its codes per 16, and every registry variant matches
// a double-precision reference built from the format's own decoder (engine/src/formats: codes,
// scales and mins, exact) times the original fp32 activations. The tolerance is the
// activations' rounding (|x − s·a| ≤ s/2 per value, times |w|) plus fp32 rounding of the
// per-super-block products. Weights sit at an odd address and end at a guard page (the file's
// bytes have no alignment; a kernel reading past a row's end faults). Activations the quantizer
// represents exactly with codes at their extremes leave rounding alone, which a saturated
// 16-bit pair sum, a wrong Q6_K offset or a wrong scale unpacking would exceed by far.
#include <gtest/gtest.h>

#include <cmath>
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
  return f == Format::kQ4K ? gguf::TensorType::Q4_K : gguf::TensorType::Q6_K;
}

// Token-major activations and, for `format`, their interleaved copy (the many-token kernels
// take it from kMinTiledTokens tokens on).
struct QuantizedTokens {
  QuantizedTokens(size_t k, size_t n, const std::vector<float>& x, Format format = Format::kQ4K)
      : q(n * k),
        scale(n * k / kSuperBlock),
        bsum(n * k / kSumGroup),
        tq(TileCount(n) * k * kTileTokens),
        tscale(TileCount(n) * k / kSuperBlock * kTileTokens),
        tsum(TileCount(n) * k / TileSumGroup(format) * kTileTokens) {
    for (size_t t = 0; t < n; ++t) {
      Quantize(k, x.data() + t * k, q.data() + t * k, scale.data() + t * (k / kSuperBlock),
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

TEST(KQuant, QuantizeCarriesNaNAndInfinity) {
  std::vector<float> x(2 * kSuperBlock, 1.0f);
  x[7] = std::numeric_limits<float>::quiet_NaN();
  x[300] = std::numeric_limits<float>::infinity();
  QuantizedTokens a(x.size(), 1, x);
  EXPECT_TRUE(std::isnan(a.scale[0]));
  EXPECT_FALSE(std::isfinite(a.scale[1]));
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(a.q[i], 0) << i;
}

TEST(KQuant, NamesAndSelection) {
  for (const Kernels& k : AllKernels()) {
    std::cmatch m;
    ASSERT_TRUE(testing::MatchName(k.name, "lutra_kquant_(q4k|q6k)_gemm__([a-z0-9]+)", k.isa, &m));
    EXPECT_EQ(m[1].str() == "q4k", k.format == Format::kQ4K) << k.name;
  }
  for (Format f : {Format::kQ4K, Format::kQ6K}) {
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
        row_bytes(k / kSuperBlock * BlockBytes(format)),
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

// Random codes, scales and mins over their whole ranges (Q6_K scales include −128).
void FillRandom(Matrix& w, Rng& rng) {
  const size_t blocks = w.m * w.k / kSuperBlock, bb = BlockBytes(w.format);
  for (size_t b = 0; b < blocks; ++b) {
    uint8_t* blk = w.bytes.data() + b * bb;
    for (size_t i = 0; i < bb; ++i) blk[i] = uint8_t(rng.Int(0, 255));
    if (w.format == Format::kQ4K) {
      SetHalf(blk, rng.Uniform(-0.004f, 0.004f));
      SetHalf(blk + 2, rng.Uniform(-0.01f, 0.01f));
    } else {
      SetHalf(blk + 208, rng.Uniform(-0.002f, 0.002f));
    }
  }
}

// Σ_i w_i·x_i in double from the format's decoder, and the bound described at the top (the
// activation term from each value's actual rounding, zero for exactly represented ones).
void Reference(const Matrix& w, const QuantizedTokens& a, const std::vector<float>& x, size_t r,
               size_t t, double* value, double* bound) {
  const gguf::TensorType type = TypeOf(w.format);
  const size_t sub = engine::formats::CodeBlock(type), blocks = w.k / kSuperBlock;
  std::vector<int8_t> codes(w.k);
  std::vector<float> scales(w.k / sub), mins(w.k / sub);
  engine::formats::DecodeKQuantCodes(type, w.bytes.data() + r * w.row_bytes, blocks, codes.data(),
                                     scales.data(), mins.data());
  double v = 0, quant = 0, magnitude = 0;
  for (size_t i = 0; i < w.k; ++i) {
    const double s = a.scale[t * blocks + i / kSuperBlock];
    const double wq = double(scales[i / sub]) * codes[i], mn = mins[i / sub];
    v += (wq - mn) * x[t * w.k + i];
    // The activation's own rounding (at most s/2, which QuantizeKeepsHalfAStep checks).
    quant += std::fabs(wq - mn) * std::fabs(double(x[t * w.k + i]) - s * a.q[t * w.k + i]);
    // Q6_K's codes are q − 32 here; the kernels multiply q and subtract 32·Σa, whose terms are
    // at most twice as large.
    magnitude += (2 * std::fabs(wq) + std::fabs(mn) + 32 * std::fabs(double(scales[i / sub]))) * s *
                 std::fabs(double(a.q[t * w.k + i]));
  }
  *value = v;
  *bound = quant * (1 + 1e-9) + magnitude * double(blocks + 2) * std::ldexp(1.0, -22) + 1e-30;
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
  for (size_t t = 0; t < n; ++t) {
    for (size_t r = 0; r < w.m; ++r) {
      double want, bound;
      Reference(w, a, x, r, t, &want, &bound);
      ASSERT_NEAR(y[t * y_stride + r], want, bound) << where << " t=" << t << " row=" << r;
    }
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
  const std::vector<size_t> blocks_per_row =
      small ? std::vector<size_t>{1, 3} : std::vector<size_t>{1, 2, 3, 5, 8};
  // 12 and more: the many-token kernels' interleaved path, with full and partial tiles of 16
  // and more tiles than one pass over a row takes (4).
  const std::vector<size_t> ns =
      small ? std::vector<size_t>{1, 3, 17} : std::vector<size_t>{1, 2, 3, 5, 8, 9, 12, 16, 33, 80};
  Rng rng(29);
  for (size_t m : ms) {
    for (size_t nb : blocks_per_row) {
      const size_t k = nb * kSuperBlock;
      Matrix w(v.format, m, k);
      FillRandom(w, rng);
      for (size_t n : ns) {
        std::vector<float> x(n * k);
        for (auto& e : x) e = rng.Normal(0.0f, 1.0f);
        for (size_t i = 0; i < 16 && i < x.size(); ++i) x[rng.Int(0, int(x.size()) - 1)] = 0.0f;
        Check(v, w, x, n,
              std::string(v.name) + " m=" + std::to_string(m) + " k=" + std::to_string(k) +
                  " n=" + std::to_string(n));
      }
    }
  }
}

// Every code at its largest (all bits set), the largest scales (Q4_K 63 with mins 63, Q6_K
// 127 and −128 alternating), against activations the quantizer represents exactly (integers
// with 127 in every super-block, so s = 1): every sub-block dot is at its extreme, and only
// fp32 rounding separates the kernel from the reference.
TEST_P(KQuantVariant, ExtremeCodesStayExact) {
  const Kernels& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  const size_t m = 9, k = 4 * kSuperBlock;
  // One token (the ARM decode kernels' own path) and both paths of the many-token kernels.
  for (size_t n : {size_t(1), size_t(4), size_t(20)}) {
    Matrix w(v.format, m, k);
    const size_t bb = BlockBytes(v.format);
    for (size_t b = 0; b < m * k / kSuperBlock; ++b) {
      uint8_t* blk = w.bytes.data() + b * bb;
      std::memset(blk, 0xff, bb);
      if (v.format == Format::kQ4K) {
        SetHalf(blk, 1.0f);
        SetHalf(blk + 2, b % 2 ? 0.5f : 0.0f);
      } else {
        for (int i = 0; i < 16; ++i) blk[192 + i] = i % 2 ? 0x80 : 0x7f;
        SetHalf(blk + 208, 1.0f);
      }
    }
    std::vector<float> x(n * k);
    for (size_t t = 0; t < n; ++t) {
      for (size_t c = 0; c < k; ++c) {
        const bool first = c % kSuperBlock == 0;
        const float patterns[] = {-127.0f, 127.0f, c % 2 ? -127.0f : 127.0f,
                                  first ? 127.0f : float(int((c + t) * 37 % 255) - 127)};
        x[t * k + c] = patterns[t % 4];
      }
    }
    Check(v, w, x, n, std::string(v.name) + " extremes n=" + std::to_string(n));
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, KQuantVariant, ::testing::ValuesIn(AllKernels()),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           return name.substr(std::string("lutra_kquant_").size());
                         });

}  // namespace
}  // namespace lutra::kernels::kquant
