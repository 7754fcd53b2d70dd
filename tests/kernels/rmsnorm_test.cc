// Every rmsnorm variant against a double-precision reference, lengths 1..300 and large odd
// ones, magnitudes from 1e-30 to 1e30, eps 0 and 1e-6, in and out of place, guarded buffers.
//
// Tolerance: Σx² in float with k accumulators has relative error ≤ (n/k + 6)·ε (positive
// terms); 1/sqrt halves it and adds ≤ 2 roundings (double → float); the two products add 2.
// So |y − ref| ≤ ((n/unroll + 6)/2 + 6)·ε·|ref| + the smallest denormal.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <string>
#include <vector>

#include "kernels/rmsnorm/rmsnorm.h"
#include "tests/kernels/registry_testing.h"
#include "tests/testing/guarded_buffer.h"
#include "tests/testing/rng.h"
#include "tests/testing/test_scale.h"
#include "tests/testing/variant_log.h"

namespace lutra::kernels::rmsnorm {
namespace {

using testing::GuardedBuffer;
using testing::Rng;

class RmsNormTest : public ::testing::TestWithParam<Kernel<RmsNormFn>> {};

TEST_P(RmsNormTest, MatchesDoubleReference) {
  const auto& k = GetParam();
  ASSERT_NO_FATAL_FAILURE(testing::CheckUnrollName(k, "lutra_rmsnorm_f32"));
  LUTRA_REQUIRE_ISA(k.name, k.isa);

  std::vector<size_t> lengths;
  for (size_t n = 1; n <= 300; ++n) lengths.push_back(n);
  for (size_t n : {1023u, 4097u}) lengths.push_back(n);
  // The longest row checks the error bound's growth; under emulation it costs more than all the
  // other lengths together.
  if (!testing::SmallTestScale()) lengths.push_back(65537u);
  Rng rng(23);
  for (size_t n : lengths) {
    for (float mag : {1.0f, 1e19f, 1e30f, 1e-19f, 1e-30f}) {
      for (float eps : {0.0f, 1e-6f}) {
        if (eps != 0.0f && mag < 1e-2f) continue;  // eps would dominate: covered by mag 1
        GuardedBuffer<float> x(n), w(n), y(n);
        rng.Fill(x.span(), -2.0f, 2.0f);
        rng.Fill(w.span(), 0.5f, 1.5f);
        for (size_t i = 0; i < n; ++i) x[i] *= mag;
        double ss = 0.0;
        for (size_t i = 0; i < n; ++i) ss += double(x[i]) * x[i];
        const double inv = 1.0 / std::sqrt(ss / double(n) + eps);
        const double rel = ((double(n) / k.unroll + 6) / 2 + 6) * FLT_EPSILON;
        std::vector<float> x0(x.data(), x.data() + n);
        for (int in_place = 0; in_place < 2; ++in_place) {
          float* out = in_place ? x.data() : y.data();
          k.fn(n, x.data(), w.data(), eps, out);
          for (size_t i = 0; i < n; ++i) {
            const double ref = double(x0[i]) * inv * w[i];
            ASSERT_NEAR(out[i], ref, rel * std::fabs(ref) + 1.4e-45)
                << k.name << " n=" << n << " i=" << i << " mag=" << mag << " eps=" << eps
                << (in_place ? " in place" : "");
          }
          ASSERT_TRUE(x.Intact() && y.Intact() && w.Intact()) << k.name << " n=" << n;
        }
      }
    }
  }
}

LUTRA_INSTANTIATE_REGISTRY(RmsNormTest, RmsNormKernels());

TEST(RmsNormSelect, PicksARunnableKernel) {
  ASSERT_NE(Select(arch::kLevelScalar), nullptr);
  EXPECT_TRUE(arch::Supports(testing::TestFeatures(), Select(testing::TestFeatures())->isa));
}

}  // namespace
}  // namespace lutra::kernels::rmsnorm
