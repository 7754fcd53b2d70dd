// The int8 peak loops (kernels/peak) compute what their contract says, so the roofline's
// denominator measures real multiply-adds: every variant's checksum against the products
// summed in 64-bit integers, for random operands at the contract's extremes.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "kernels/peak/peak.h"
#include "tests/kernels/registry_testing.h"
#include "tests/testing/guarded_buffer.h"
#include "tests/testing/rng.h"
#include "tests/testing/variant_log.h"

namespace lutra::kernels::peak {
namespace {

using testing::GuardedBuffer;
using testing::Rng;

class PeakDotTest : public ::testing::TestWithParam<Kernel<Int8DotFn>> {};

TEST_P(PeakDotTest, ChecksumIsTheProductsSum) {
  const auto& k = GetParam();
  ASSERT_NO_FATAL_FAILURE(testing::CheckUnrollName(k, "lutra_peak_dot_i8"));
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  ASSERT_EQ(k.unroll % 64, 0u) << k.name;
  Rng rng(61);
  for (int round = 0; round < 20; ++round) {
    GuardedBuffer<int8_t> a(64), b(64);
    for (size_t i = 0; i < 64; ++i) {
      // Round 0: the extremes (−127·127 in every pair); else random within the contract.
      a[i] = round == 0 ? int8_t(-127) : int8_t(int(rng.Uniform(-127.0f, 127.99f)));
      b[i] = round == 0 ? int8_t(127) : int8_t(int(rng.Uniform(0.0f, 127.99f)));
    }
    int64_t dot = 0;
    for (size_t i = 0; i < 64; ++i) dot += int64_t(a[i]) * b[i];
    for (uint64_t iterations : {uint64_t{0}, uint64_t{1}, uint64_t{7}, uint64_t{1000}}) {
      const int64_t want = int64_t(iterations) * int64_t(k.unroll / 64) * dot;
      EXPECT_EQ(k.fn(a.data(), b.data(), iterations), want)
          << k.name << " round " << round << " iterations " << iterations;
    }
    ASSERT_TRUE(a.Intact() && b.Intact()) << k.name;
  }
}

LUTRA_INSTANTIATE_REGISTRY(PeakDotTest, Int8DotKernels());

TEST(PeakDotSelect, PicksARunnableKernel) {
  ASSERT_NE(SelectInt8Dot(arch::kLevelScalar), nullptr);
  EXPECT_TRUE(arch::Supports(testing::TestFeatures(), SelectInt8Dot(testing::TestFeatures())->isa));
}

}  // namespace
}  // namespace lutra::kernels::peak
