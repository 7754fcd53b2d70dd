// q8block (int8 codes with fp32 scale and min per block of 16 or 32, int8 activations):
// activation quantization keeps every value within half a step, and every registry variant
// matches a double-precision reference that dequantizes the weights (scale·q − min) and
// multiplies them with the original fp32 activations. The tolerance is the activations'
// quantization error (|x − s·a| ≤ s/2 per value, times |scale·q|) plus fp32 rounding of the
// per-block terms (stated in Bound()). With activations the quantizer represents exactly the
// bound is rounding alone, which also covers extreme codes (−128 weights against ±127) where
// a saturating 16-bit pair sum (x86's unsigned × signed byte products) or a wrong offset
// correction would show.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernels/q8block/q8block.h"
#include "tests/kernels/lut_testing.h"
#include "tests/kernels/registry_testing.h"
#include "tests/testing/guarded_buffer.h"
#include "tests/testing/rng.h"
#include "tests/testing/variant_log.h"

namespace lutra::kernels::q8block {

void PrintTo(const Kernels& k, std::ostream* os) {
  *os << k.name;
}

namespace {

using testing::GuardedBuffer;
using testing::Rng;

struct QuantizedTokens {
  QuantizedTokens(size_t k, size_t block, size_t n, const std::vector<float>& x)
      : q(n * k), scale(n * k / block), sum(n * k / block), qsum(n * k / block) {
    for (size_t t = 0; t < n; ++t) {
      const size_t nb = k / block;
      Quantize(k, block, x.data() + t * k, q.data() + t * k, scale.data() + t * nb,
               sum.data() + t * nb, qsum.data() + t * nb);
    }
    view = {k, block, n, q.data(), scale.data(), sum.data(), qsum.data()};
  }
  GuardedBuffer<int8_t> q;
  GuardedBuffer<float> scale, sum;
  GuardedBuffer<int32_t> qsum;
  Activations view;
};

TEST(Q8Block, QuantizeKeepsHalfAStep) {
  Rng rng(3);
  for (size_t block : {16u, 32u}) {
    const size_t k = 8 * block;
    std::vector<float> x(k);
    for (auto& v : x) v = rng.Normal(0.0f, 2.0f);
    for (size_t i = 0; i < block; ++i) x[2 * block + i] = 0.0f;  // an all-zero block
    x[5 * block + 3] = 1e6f;                                     // an outlier
    QuantizedTokens a(k, block, 1, x);
    for (size_t b = 0; b < k / block; ++b) {
      double amax = 0, sum = 0;
      int32_t qsum = 0;
      for (size_t i = b * block; i < (b + 1) * block; ++i) {
        amax = std::max(amax, double(std::fabs(x[i])));
        sum += x[i];
        qsum += a.q[i];
        ASSERT_GE(a.q[i], -127) << i;
        ASSERT_LE(a.q[i], 127) << i;
        ASSERT_LE(std::fabs(double(x[i]) - double(a.scale[b]) * a.q[i]),
                  0.5 * a.scale[b] * (1 + 1e-6))
            << "block " << b << " value " << i;
      }
      EXPECT_FLOAT_EQ(a.scale[b], float(amax / 127)) << b;
      EXPECT_NEAR(a.sum[b], sum, 1e-5 * (std::fabs(sum) + amax)) << b;
      EXPECT_EQ(a.qsum[b], qsum) << b;
    }
    EXPECT_EQ(a.scale[2], 0.0f);
  }
}

TEST(Q8Block, QuantizeCarriesNaN) {
  std::vector<float> x(32, 1.0f);
  x[7] = std::numeric_limits<float>::quiet_NaN();
  QuantizedTokens a(32, 32, 1, x);
  EXPECT_TRUE(std::isnan(a.scale[0]));
}

// Blocks whose quantization step would overflow (subnormal magnitudes) count as zero, and
// infinities give a non-finite scale with in-range codes: no value may become an integer
// conversion of ±inf or NaN (undefined behaviour, which the sanitizer build catches).
TEST(Q8Block, QuantizeSurvivesTinyAndInfiniteBlocks) {
  std::vector<float> x(96, 1e-40f);
  x[3] = -3e-39f;
  for (size_t i = 32; i < 64; ++i) x[i] = 2.0f;
  x[40] = -std::numeric_limits<float>::infinity();
  for (size_t i = 64; i < 96; ++i) x[i] = float(i) * 1e-36f;
  QuantizedTokens a(96, 32, 1, x);
  EXPECT_EQ(a.scale[0], 0.0f);
  for (size_t i = 0; i < 32; ++i) EXPECT_EQ(a.q[i], 0) << i;
  EXPECT_FALSE(std::isfinite(a.scale[1]));
  for (size_t i = 32; i < 96; ++i) {
    EXPECT_GE(a.q[i], -127) << i;
    EXPECT_LE(a.q[i], 127) << i;
  }
  EXPECT_EQ(a.q[95], 127);
}

TEST(Q8Block, NamesAndSelection) {
  for (const Kernels& k : AllKernels()) {
    std::cmatch m;
    ASSERT_TRUE(
        testing::MatchName(k.name, "lutra_q8block_gemm_w8a8_r([0-9]+)__([a-z0-9]+)", k.isa, &m));
    EXPECT_EQ(std::stoul(m[1].str()), k.rows) << k.name;
  }
  EXPECT_EQ(AllKernels().back().isa, arch::kLevelScalar);
  EXPECT_EQ(Select(arch::kLevelScalar), &AllKernels().back());
}

struct Matrix {
  Matrix(size_t m, size_t k, size_t block, bool with_min)
      : m(m),
        k(k),
        block(block),
        q(m * k),
        scale(m * k / block),
        min(with_min ? m * k / block : 1) {
    with_min_ = with_min;
  }
  Weights view() const {
    return {m, k, block, q.data(), scale.data(), with_min_ ? min.data() : nullptr};
  }
  size_t m, k, block;
  GuardedBuffer<int8_t> q;
  GuardedBuffer<float> scale, min;
  bool with_min_;
};

// Σ_b Σ_i (scale·q − min)·x in double, and the error the kernels may make: the activation
// rounding (|scale·q|·s/2 per value) plus fp32 rounding of the block terms — each
// (scale·s)·dot and min·Σx rounds once and their sum over `blocks` terms accumulates at most
// (blocks + 2) more relative roundings of the magnitudes (a generous 2^-22 each).
void Reference(const Matrix& w, const QuantizedTokens& a, const std::vector<float>& x, size_t r,
               size_t t, double* value, double* bound) {
  const size_t nb = w.k / w.block;
  double v = 0, quant = 0, magnitude = 0;
  for (size_t b = 0; b < nb; ++b) {
    const float s = w.scale[r * nb + b], mn = w.with_min_ ? w.min[r * nb + b] : 0.0f;
    double dot_abs = 0;
    for (size_t i = b * w.block; i < (b + 1) * w.block; ++i) {
      const double wq = double(s) * w.q[r * w.k + i];
      v += (wq - mn) * x[t * w.k + i];
      quant += std::fabs(wq) * a.scale[t * nb + b] * 0.5;
      dot_abs += std::fabs(double(w.q[r * w.k + i]) * a.q[t * w.k + i]);
    }
    magnitude += std::fabs(double(s) * a.scale[t * nb + b]) * dot_abs +
                 std::fabs(double(mn) * a.sum[t * nb + b]);
  }
  *value = v;
  *bound = quant * (1 + 1e-6) + magnitude * double(nb + 2) * std::ldexp(1.0, -22) + 1e-30;
}

void Check(const Kernels& v, const Matrix& w, const std::vector<float>& x, size_t n,
           const std::string& where) {
  QuantizedTokens a(w.k, w.block, n, x);
  const size_t y_stride = w.m + 3;
  GuardedBuffer<float> y(n * y_stride);
  for (size_t i = 0; i < y.size(); ++i) y[i] = -7.0f;
  // Two calls, split at a row no tile boundary falls on, as the threaded driver may.
  const size_t split = w.m / 2 + (w.m > 4 ? 1 : 0);
  const Weights view = w.view();
  if (split > 0) {
    v.gemm(view, a.view, 0, split, y.data(), y_stride);
    // Rows from `split` on belong to the second call: the first must not have touched them.
    for (size_t t = 0; t < n; ++t) {
      for (size_t r = split; r < y_stride; ++r) {
        ASSERT_EQ(y[t * y_stride + r], -7.0f) << where << " first call wrote row " << r;
      }
    }
  }
  v.gemm(view, a.view, split, w.m, y.data(), y_stride);
  ASSERT_TRUE(y.Intact() && w.q.Intact() && w.scale.Intact() && a.q.Intact()) << where;
  for (size_t t = 0; t < n; ++t) {
    for (size_t r = 0; r < w.m; ++r) {
      double want, bound;
      Reference(w, a, x, r, t, &want, &bound);
      ASSERT_NEAR(y[t * y_stride + r], want, bound) << where << " t=" << t << " row=" << r;
    }
    for (size_t r = w.m; r < y_stride; ++r) ASSERT_EQ(y[t * y_stride + r], -7.0f) << where;
  }
}

class Q8BlockVariant : public ::testing::TestWithParam<Kernels> {};

TEST_P(Q8BlockVariant, MatchesDequantizedReference) {
  const Kernels& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  const bool small = lut_testing::SmallScale();
  const std::vector<size_t> ms =
      small ? std::vector<size_t>{1, 5, 9} : std::vector<size_t>{1, 2, 3, 4, 5, 7, 8, 9, 33};
  const std::vector<size_t> blocks_per_row =
      small ? std::vector<size_t>{1, 3, 9} : std::vector<size_t>{1, 2, 3, 4, 5, 9, 17, 128};
  const std::vector<size_t> ns =
      small ? std::vector<size_t>{1, 3} : std::vector<size_t>{1, 2, 3, 5, 8};
  Rng rng(17);
  for (size_t block : {16u, 32u}) {
    for (bool with_min : {false, true}) {
      for (size_t m : ms) {
        for (size_t nb : blocks_per_row) {
          const size_t k = nb * block;
          Matrix w(m, k, block, with_min);
          for (size_t i = 0; i < m * k; ++i) w.q[i] = int8_t(rng.Int(-128, 127));
          for (size_t i = 0; i < m * nb; ++i) {
            w.scale[i] = rng.Uniform(-0.02f, 0.02f);
            if (with_min) w.min[i] = rng.Uniform(-0.5f, 0.5f);
          }
          for (size_t n : ns) {
            std::vector<float> x(n * k);
            for (auto& e : x) e = rng.Normal(0.0f, 1.0f);
            Check(v, w, x, n,
                  std::string(v.name) + " block=" + std::to_string(block) +
                      " min=" + std::to_string(with_min) + " m=" + std::to_string(m) +
                      " k=" + std::to_string(k) + " n=" + std::to_string(n));
          }
        }
      }
    }
  }
}

// Activations the quantizer represents exactly (integers with 127 in every block, so s = 1),
// weights at the int8 extremes with the same sign along whole rows: every block dot is at
// its largest magnitude (32·128·127), and a 16-bit pair sum that saturated or an offset
// correction that went wrong would be off by far more than rounding.
TEST_P(Q8BlockVariant, ExtremeCodesStayExact) {
  const Kernels& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  const size_t m = 12, n = 4;
  for (size_t block : {16u, 32u}) {
    const size_t k = 64 * block;
    Matrix w(m, k, block, false);
    for (size_t r = 0; r < m; ++r) {
      for (size_t c = 0; c < k; ++c) {
        const int8_t patterns[] = {-128, 127, int8_t(c % 2 ? -128 : 127), int8_t(c % 3 - 1)};
        w.q[r * k + c] = patterns[r % 4];
      }
    }
    for (size_t i = 0; i < m * k / block; ++i) w.scale[i] = 1.0f;
    std::vector<float> x(n * k);
    for (size_t c = 0; c < k; ++c) {
      const bool first = c % block == 0;
      x[0 * k + c] = -127.0f;
      x[1 * k + c] = 127.0f;
      x[2 * k + c] = c % 2 ? -127.0f : 127.0f;
      x[3 * k + c] = first ? 127.0f : float(int(c * 37 % 255) - 127);
    }
    Check(v, w, x, n, std::string(v.name) + " extremes block=" + std::to_string(block));
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, Q8BlockVariant, ::testing::ValuesIn(AllKernels()),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           return name.substr(name.rfind('_') + 1);
                         });

}  // namespace
}  // namespace lutra::kernels::q8block
