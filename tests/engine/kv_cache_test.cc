// KV cache: layout round trip (what Write stores is where Keys/Values say, exactly for fp32 and
// as the nearest half / bf16 for fp16 / bf16), length bookkeeping, and clear errors for bad
// shapes/limits.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "engine/src/attention/kv_cache.h"
#include "tests/testing/float16_values.h"
#include "tests/testing/rng.h"
#include "tests/testing/status_testing.h"
#include "tests/testing/variant_log.h"

namespace lutra::engine::attention {
namespace {

using testing::Bf16Value;
using testing::HalfValue;

TEST(KvCache, StoresEveryLayerHeadAndPosition) {
  for (KvType type : {KvType::kF32, KvType::kF16, KvType::kBf16}) {
    const size_t d = type == KvType::kBf16 ? 6 : 5;  // bf16 pairs dimensions: d even
    const KvShape s{3, 2, 10, d, type};
    KvCache c;
    std::string err;
    ASSERT_TRUE(
        Ok(KvCache::Create(s, lutra::engine::KernelConfig::For(testing::TestFeatures()), &c), &err))
        << err;
    testing::Rng rng(5);
    std::vector<float> k(10 * 2 * d), v(k.size());
    rng.Fill(k, -3.0f, 3.0f);
    rng.Fill(v, -3.0f, 3.0f);
    // Two appends (4 then 6 positions) must land contiguously.
    for (size_t first : {size_t{0}, size_t{4}}) {
      const size_t n = first == 0 ? 4 : 6;
      for (size_t l = 0; l < 3; ++l) {
        ASSERT_TRUE(Ok(c.Write(l, n, k.data() + first * 2 * d, v.data() + first * 2 * d), &err))
            << err;
      }
      ASSERT_TRUE(Ok(c.Advance(n), &err)) << err;
    }
    EXPECT_EQ(c.length(), 10u);
    for (size_t l = 0; l < 3; ++l) {
      for (size_t h = 0; h < 2; ++h) {
        for (size_t p = 0; p < 10; ++p) {
          for (size_t i = 0; i < d; ++i) {
            for (int kv = 0; kv < 2; ++kv) {
              const float x = (kv == 0 ? k : v)[p * 2 * d + h * d + i];
              const void* base = kv == 0 ? c.Keys(l, h) : c.Values(l, h);
              const size_t idx = kv == 0 ? c.KeyIndex(i, p) : c.ValueIndex(i, p);
              if (type == KvType::kF32) {
                ASSERT_EQ(static_cast<const float*>(base)[idx], x);
              } else if (type == KvType::kF16) {
                // Nearest half: within half an ulp (2^-11 relative) for these normal values.
                const double got = HalfValue(static_cast<const uint16_t*>(base)[idx]);
                ASSERT_LE(std::fabs(got - x), std::ldexp(std::fabs(double(x)), -11) + 1e-7);
              } else {
                // Nearest bf16: within half an ulp, 2^-8 relative.
                const double got = Bf16Value(static_cast<const uint16_t*>(base)[idx]);
                ASSERT_LE(std::fabs(got - x), std::ldexp(std::fabs(double(x)), -8));
              }
            }
          }
        }
      }
    }
  }
}

TEST(KvCache, ErrorsNameTheProblem) {
  KvCache c;
  std::string err;
  EXPECT_FALSE(Ok(
      KvCache::Create({1, 0, 8, 64, KvType::kF32}, lutra::engine::KernelConfig::For(0), &c), &err));
  EXPECT_NE(err.find("n_head_kv"), std::string::npos) << err;
  EXPECT_FALSE(Ok(KvCache::Create({1u << 20, 1u << 20, 1u << 20, 1u << 20, KvType::kF32},
                                  lutra::engine::KernelConfig::For(0), &c),
                  &err));
  EXPECT_NE(err.find("overflow"), std::string::npos) << err;
  EXPECT_FALSE(
      Ok(KvCache::Create({1, 1, 8, 65, KvType::kBf16}, lutra::engine::KernelConfig::For(0), &c),
         &err));
  EXPECT_NE(err.find("even head_dim (got 65)"), std::string::npos) << err;
  ASSERT_TRUE(Ok(
      KvCache::Create({2, 1, 4, 8, KvType::kF16}, lutra::engine::KernelConfig::For(0), &c), &err))
      << err;
  std::vector<float> x(5 * 8, 1.0f);
  EXPECT_FALSE(Ok(c.Write(0, 5, x.data(), x.data()), &err));
  EXPECT_NE(err.find("max_seq 4"), std::string::npos) << err;
  EXPECT_FALSE(Ok(c.Write(2, 1, x.data(), x.data()), &err));
  EXPECT_NE(err.find("layer 2"), std::string::npos) << err;
  ASSERT_TRUE(Ok(c.Write(0, 4, x.data(), x.data()), &err)) << err;
  ASSERT_TRUE(Ok(c.Advance(4), &err)) << err;
  EXPECT_FALSE(Ok(c.Advance(1), &err));
  EXPECT_NE(err.find("max_seq"), std::string::npos) << err;
  EXPECT_FALSE(Ok(c.Truncate(5), &err));
  ASSERT_TRUE(Ok(c.Truncate(1), &err)) << err;
  EXPECT_EQ(c.length(), 1u);
}

}  // namespace
}  // namespace lutra::engine::attention
