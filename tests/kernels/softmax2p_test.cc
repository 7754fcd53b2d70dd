// Every two-pass and three-pass softmax variant against a double-precision reference, in
// guarded buffers: lengths 1..64 exhaustively plus long rows with tails, masks with −inf,
// fused scales, in place, extreme magnitudes, denormal results and NaN.
//
// Tolerance (relative, for normal outputs): each output is p(t)·(1/Σ)·2^d. The polynomial is
// ≤ 1.5 ulp, the reciprocal and product 2 roundings, and Σ is a float sum in which each lane
// adds about n/unroll positive terms (+4 for remainder/tail loops), each addition ≤ 1 ulp of
// the running sum. So |y − ref| ≤ (8 + ceil(n/unroll) + 4)·ε·ref. When z is computed with a
// scale or mask, z itself is rounded (≤ ε/2·|z|), which moves exp(z_i − max) by up to
// (|z_i| + |z_max|)·ε relative; those tests add that term. Denormal outputs add 2 units of
// the smallest denormal. The measured worst case (printed) is ~3 ulp for short rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "kernels/softmax2p/softmax2p.h"
#include "tests/kernels/registry_testing.h"
#include "tests/testing/guarded_buffer.h"
#include "tests/testing/rng.h"
#include "tests/testing/test_scale.h"
#include "tests/testing/variant_log.h"

namespace lutra::kernels::softmax2p {
namespace {

using testing::GuardedBuffer;
using testing::Rng;

constexpr double kTiny = 2 * 1.401298464324817e-45;

struct Param {
  Kernel<SoftmaxFn> k;
  const char* family;  // "softmax2p", "softmax3p" or "softmax3s"
};

std::vector<Param> All() {
  std::vector<Param> out;
  for (const auto& k : TwoPassKernels()) out.push_back({k, "softmax2p"});
  for (const auto& k : ThreePassKernels()) out.push_back({k, "softmax3p"});
  for (const auto& k : StoredThreePassKernels()) out.push_back({k, "softmax3s"});
  return out;
}

std::string Name(const ::testing::TestParamInfo<Param>& info) {
  return info.param.k.name;
}

// Reference: z in double from the float inputs, max-subtracted exp in double.
std::vector<double> Reference(size_t n, const float* x, const float* mask, float scale,
                              std::vector<double>* z_out = nullptr) {
  std::vector<double> z(n), y(n);
  double zmax = -INFINITY;
  for (size_t i = 0; i < n; ++i) {
    z[i] = double(x[i]) * scale + (mask != nullptr ? double(mask[i]) : 0.0);
    zmax = std::max(zmax, z[i]);
  }
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += (y[i] = std::exp(z[i] - zmax));
  for (size_t i = 0; i < n; ++i) y[i] /= sum;
  if (z_out != nullptr) *z_out = z;
  return y;
}

class SoftmaxTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    const auto& p = GetParam();
    ASSERT_NO_FATAL_FAILURE(
        testing::CheckUnrollName(p.k, std::string("lutra_") + p.family + "_f32"));
  }

  double SumTol(size_t n) const {
    const size_t per_lane = (n + GetParam().k.unroll - 1) / GetParam().k.unroll;
    return double(8 + per_lane + 4) * FLT_EPSILON;
  }

  // Runs the kernel out of place and in place, checks both against the reference; returns
  // the worst error in ulps of the reference (normal outputs).
  double Check(const std::vector<float>& xin, const std::vector<float>* mask, float scale,
               bool z_term) {
    const auto& k = GetParam().k;
    const size_t n = xin.size();
    GuardedBuffer<float> x(n), y(n), mk(mask ? n : 0);
    std::copy(xin.begin(), xin.end(), x.data());
    if (mask) std::copy(mask->begin(), mask->end(), mk.data());
    const float* mp = mask ? mk.data() : nullptr;
    std::vector<double> z;
    const std::vector<double> ref = Reference(n, x.data(), mp, scale, &z);
    double zmax = 0.0;
    for (double v : z) zmax = std::max(zmax, std::fabs(v) < 1e300 ? std::fabs(v) : 0.0);
    double worst = 0.0;
    for (int in_place = 0; in_place < 2; ++in_place) {
      float* out = in_place ? x.data() : y.data();
      k.fn(n, x.data(), mp, scale, out);
      EXPECT_TRUE(x.Intact() && y.Intact()) << k.name << " wrote before the buffer, n=" << n;
      double sum = 0.0;
      for (size_t i = 0; i < n; ++i) {
        if (mask && (*mask)[i] == -INFINITY) {
          EXPECT_EQ(out[i], 0.0f) << k.name << " masked i=" << i << " n=" << n;
          continue;
        }
#if defined(__arm__)
        // ARMv7 NEON arithmetic always flushes denormals to zero (architectural FTZ).
        if (k.isa == arch::kLevelNEON && ref[i] < FLT_MIN && out[i] == 0.0f) continue;
#endif
        double rel = SumTol(n);
        if (z_term || GetParam().family[7] == '3') rel += (std::fabs(z[i]) + zmax) * FLT_EPSILON;
        const double tol = rel * ref[i] + kTiny;
        EXPECT_NEAR(out[i], ref[i], tol) << k.name << " n=" << n << " i=" << i << " x=" << xin[i]
                                         << " scale=" << scale << (in_place ? " in place" : "");
        if (ref[i] >= FLT_MIN) worst = std::max(worst, std::fabs(out[i] - ref[i]) / ref[i]);
        sum += out[i];
      }
      EXPECT_NEAR(sum, 1.0, double(n + 1) * FLT_EPSILON + SumTol(n))
          << k.name << " n=" << n << " x[0]=" << xin[0] << " x[n-1]=" << xin[n - 1];
      if (::testing::Test::HasFailure()) return worst / FLT_EPSILON;
      std::copy(xin.begin(), xin.end(), x.data());  // restore for the in-place run
    }
    return worst / FLT_EPSILON;
  }
};

TEST_P(SoftmaxTest, RandomRowsAllLengths) {
  LUTRA_REQUIRE_ISA(GetParam().k.name, GetParam().k.isa);
  Rng rng(7);
  double worst = 0.0, worst_short = 0.0;
  std::vector<size_t> lengths;
  for (size_t n = 1; n <= 64; ++n) lengths.push_back(n);
  for (size_t n : {65u, 100u, 127u, 300u, 1023u, 4099u}) lengths.push_back(n);
  // Rows of 6.5e4 and 1e6 test how the error grows with length; under emulation 4099 (every
  // block and tail path, several accumulator rescalings) is enough and costs ~1/250 as much.
  if (!testing::SmallTestScale()) lengths.insert(lengths.end(), {65537u, 1000003u});
  for (size_t n : lengths) {
    std::vector<float> x(n);
    rng.Fill(x, -10.0f, 10.0f);
    const double w = Check(x, nullptr, 1.0f, false);
    (n <= 64 ? worst_short : worst) = std::max(n <= 64 ? worst_short : worst, w);
    if (HasFailure()) return;
  }
  std::printf(
      "[ %s ] worst relative error, scale 1, no mask: n <= 64 %.2f ulp, n <= 1e6 %.2f ulp\n",
      GetParam().k.name, worst_short, worst);
}

TEST_P(SoftmaxTest, ScalesAndMasks) {
  LUTRA_REQUIRE_ISA(GetParam().k.name, GetParam().k.isa);
  Rng rng(11);
  for (size_t n : {1u, 2u, 7u, 16u, 17u, 31u, 33u, 64u, 65u, 200u, 4097u}) {
    for (float scale : {0.125f, 0.08838835f, 3.0f, -2.0f, 1e-3f}) {
      std::vector<float> x(n), mask(n);
      rng.Fill(x, -8.0f, 8.0f);
      rng.Fill(mask, -5.0f, 0.0f);
      for (size_t i = 0; i < n; ++i) {
        if (rng.Int(0, 3) == 0) mask[i] = -INFINITY;
      }
      mask[rng.Int(0, int(n) - 1)] = 0.0f;  // at least one live position
      Check(x, &mask, scale, true);
      Check(x, nullptr, scale, true);
      if (HasFailure()) return;
    }
  }
}

TEST_P(SoftmaxTest, AllEqual) {
  LUTRA_REQUIRE_ISA(GetParam().k.name, GetParam().k.isa);
  for (size_t n : {1u, 3u, 16u, 63u, 64u, 129u, 1000u}) {
    for (float c : {0.0f, 5.0f, -7.5f, 88.8f, 89.0f, 1e30f, -1e30f, -1e5f, 3e38f}) {
      Check(std::vector<float>(n, c), nullptr, 1.0f, false);
      if (HasFailure()) return;
    }
  }
}

TEST_P(SoftmaxTest, HugeAndTinyMagnitudes) {
  LUTRA_REQUIRE_ISA(GetParam().k.name, GetParam().k.isa);
  Rng rng(13);
  for (size_t n : {2u, 5u, 17u, 40u, 100u, 1025u}) {
    for (float big : {88.8f, 89.0f, 200.0f, 1e4f, 1e30f, -1e30f, -FLT_MAX}) {
      std::vector<float> x(n);
      rng.Fill(x, -3.0f, 3.0f);
      for (int r = 0; r < 3; ++r) x[rng.Int(0, int(n) - 1)] = big;
      // Huge |z| are exact for the reference; our error term for them is the z-rounding one.
      Check(x, nullptr, 1.0f, std::fabs(big) > 1e4f);
      if (HasFailure()) return;
    }
  }
}

TEST_P(SoftmaxTest, DenormalResults) {
  LUTRA_REQUIRE_ISA(GetParam().k.name, GetParam().k.isa);
  Rng rng(17);
  for (size_t n : {3u, 20u, 64u, 300u}) {
    std::vector<float> x(n);
    // Outputs e^-80 .. e^-106 span normal, denormal and underflow-to-zero.
    rng.Fill(x, -106.0f, -80.0f);
    x[rng.Int(0, int(n) - 1)] = 0.0f;
    Check(x, nullptr, 1.0f, true);
    if (HasFailure()) return;
  }
}

TEST_P(SoftmaxTest, NaNPropagates) {
  const auto& k = GetParam().k;
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  Rng rng(19);
  for (size_t n : {1u, 2u, 15u, 16u, 17u, 64u, 65u, 100u, 1000u}) {
    for (size_t pos : {size_t(0), n / 2, n - 1}) {
      for (bool with_mask : {false, true}) {
        GuardedBuffer<float> x(n), y(n), mask(n);
        rng.Fill(x.span(), -4.0f, 4.0f);
        rng.Fill(mask.span(), -1.0f, 0.0f);
        mask[0] = -INFINITY;
        x[pos] = std::numeric_limits<float>::quiet_NaN();
        k.fn(n, x.data(), with_mask ? mask.data() : nullptr, 0.5f, y.data());
        for (size_t i = 0; i < n; ++i) {
          ASSERT_TRUE(std::isnan(y[i])) << k.name << " n=" << n << " nan at " << pos << " i=" << i;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, SoftmaxTest, ::testing::ValuesIn(All()), Name);

TEST(SoftmaxSelect, PicksARunnableTwoPassKernel) {
  const auto* k = Select(arch::kLevelScalar);
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->isa, arch::kLevelScalar);
  EXPECT_TRUE(arch::Supports(testing::TestFeatures(), Select(testing::TestFeatures())->isa));
}

}  // namespace
}  // namespace lutra::kernels::softmax2p
