// Sliding-window attention over a ring KV cache against a naive double-precision attention that
// keeps every position: windows smaller and larger than the prefill chunk, chunks that cross
// the window edge and the ring's end (one or two slot ranges), decode after prefill, score
// scales and soft-caps, f32/f16/bf16 caches, 1 and 2 threads. Also the cache's ring
// bookkeeping: capacities bounded by window + chunk whatever the context, slots, and the
// rewinds a ring allows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "engine/src/attention/attention.h"
#include "tests/testing/float16_values.h"
#include "tests/testing/rng.h"
#include "tests/testing/status_testing.h"
#include "tests/testing/variant_log.h"

namespace lutra::engine::attention {
namespace {

using testing::Bf16Value;
using testing::HalfValue;

double Stored(const KvCache& c, const void* base, size_t idx) {
  switch (c.shape().type) {
    case KvType::kF16:
      return HalfValue(static_cast<const uint16_t*>(base)[idx]);
    case KvType::kBf16:
      return Bf16Value(static_cast<const uint16_t*>(base)[idx]);
    case KvType::kF32:
      break;
  }
  return double(static_cast<const float*>(base)[idx]);
}

const char* TypeName(KvType type) {
  return type == KvType::kF16 ? "f16" : type == KvType::kBf16 ? "bf16" : "f32";
}

struct Case {
  size_t window, batch, len;  // window, largest write (prefill chunk), positions written
  float scale, softcap;       // 0: 1/√d, no cap
};

// (case, cache type)
using Param = std::tuple<Case, KvType>;
class SlidingAttentionTest : public ::testing::TestWithParam<Param> {};

TEST_P(SlidingAttentionTest, MatchesDoubleReference) {
  const auto [c, type] = GetParam();
  const size_t d = 64, n_kv = 2, ratio = 2, n_head = n_kv * ratio;
  testing::Rng rng(uint64_t(c.window * 131 + c.batch * 17 + c.len + size_t(type)));
  KvCache cache;
  std::string err;
  const KernelConfig& config = KernelConfig::For(testing::TestFeatures());
  KvShape shape{1, n_kv, c.len, d, type, {c.window}, c.batch};
  ASSERT_TRUE(Ok(KvCache::Create(shape, config, &cache), &err)) << err;
  // The ring: window + chunk − 1 positions in whole key blocks, unless that is no smaller
  // than the context.
  const size_t ring = (c.window + c.batch - 1 + 31) / 32 * 32;
  EXPECT_EQ(cache.capacity(0), std::min(ring, (c.len + 31) / 32 * 32));

  // Every position's K and V as stored (read back right after its write, before the ring
  // reuses the slot): the reference attends over these, all of them kept.
  std::vector<double> kd(c.len * n_kv * d), vd(kd.size());
  Attention att;
  ASSERT_TRUE(Ok(Attention::Create({n_head, n_kv, d, c.len, c.batch}, config, 2, &att), &err))
      << err;
  const ScoreOptions options{c.scale, c.softcap};
  const double scale = c.scale > 0 ? double(c.scale) : 1.0 / std::sqrt(double(d));
  size_t p0 = 0, chunk_index = 0;
  while (p0 < c.len) {
    // Chunks of every size from the batch down to 1, so they start and end anywhere in the
    // window and the ring.
    const size_t n = std::min(c.len - p0, c.batch - chunk_index++ % c.batch);
    std::vector<float> k(n * n_kv * d), v(k.size());
    rng.Fill(k, -1.0f, 1.0f);
    rng.Fill(v, -1.0f, 1.0f);
    ASSERT_TRUE(Ok(cache.Write(0, n, k.data(), v.data()), &err)) << err;
    ASSERT_TRUE(Ok(cache.Advance(n), &err)) << err;
    for (size_t i = 0; i < n; ++i) {
      const size_t slot = cache.Slot(0, p0 + i);
      for (size_t g = 0; g < n_kv; ++g) {
        for (size_t t = 0; t < d; ++t) {
          kd[((p0 + i) * n_kv + g) * d + t] =
              Stored(cache, cache.Keys(0, g), cache.KeyIndex(t, slot));
          vd[((p0 + i) * n_kv + g) * d + t] =
              Stored(cache, cache.Values(0, g), cache.ValueIndex(t, slot));
        }
      }
    }
    std::vector<float> q(n * n_head * d), out(q.size(), NAN);
    rng.Fill(q, -1.0f, 1.0f);
    ThreadPool pool(1 + chunk_index % 2);
    ASSERT_TRUE(Ok(att.Run(cache, 0, p0, n, q.data(), out.data(), pool, options), &err)) << err;

    for (size_t i = 0; i < n; ++i) {
      const size_t pos = p0 + i, first = pos + 1 > c.window ? pos + 1 - c.window : 0;
      for (size_t h = 0; h < n_head; ++h) {
        const size_t g = h / ratio;
        const float* qr = q.data() + (i * n_head + h) * d;
        std::vector<double> s(pos + 1 - first);
        double mx = -INFINITY, smax = 0.0;
        for (size_t j = first; j <= pos; ++j) {
          double acc = 0.0, mag = 0.0;
          for (size_t t = 0; t < d; ++t) {
            const double kv = kd[(j * n_kv + g) * d + t];
            acc += qr[t] * kv;
            mag += std::fabs(qr[t] * kv);
          }
          double x = acc * scale;
          if (c.softcap > 0) x = c.softcap * std::tanh(x / c.softcap);
          s[j - first] = x;
          smax = std::max(smax, mag * scale);
          mx = std::max(mx, x);
        }
        double sum = 0.0;
        for (double& e : s) sum += (e = std::exp(e - mx));
        for (double& e : s) e /= sum;
        for (size_t t = 0; t < d; ++t) {
          double ref = 0.0, mag = 0.0;
          for (size_t j = first; j <= pos; ++j) {
            const double vv = vd[(j * n_kv + g) * d + t];
            ref += s[j - first] * vv;
            mag += s[j - first] * std::fabs(vv);
          }
          // As attention_test.cc: score errors ≤ d·ε·Σ|q·k|·scale move each weight by twice
          // that relatively (the cap's tanh only shrinks them; its kernel adds ~10 ulp of a
          // score); the softmax a few ulp; the weighted sum, in up to two ranges, one ε per
          // term and one for the addition. bf16: Q and P may be rounded to bf16.
          const double u = type == KvType::kBf16 ? 1.0 / 256 : 0.0;
          const double keys = double(pos + 1 - first);
          const double tol = (2.0 * (double(d) * FLT_EPSILON + u) * smax +
                              (c.softcap > 0 ? 20.0 * FLT_EPSILON * c.softcap : 0.0) +
                              8.0 * FLT_EPSILON + (keys + 2) * FLT_EPSILON + u) *
                                 mag +
                             1e-6 * FLT_EPSILON;
          ASSERT_NEAR(out[(i * n_head + h) * d + t], ref, tol)
              << "window " << c.window << " batch " << c.batch << " len " << c.len << " "
              << TypeName(type) << " p0 " << p0 << " n " << n << " i " << i << " h " << h << " t "
              << t;
        }
      }
    }
    p0 += n;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Rings, SlidingAttentionTest,
    ::testing::Combine(::testing::Values(
                           // window < chunk; ring of 32 slots wraps many times, ranges split in two
                           Case{5, 8, 150, 0.0f, 0.0f},
                           // window > chunk, softcap and a custom scale (Gemma 2)
                           Case{20, 7, 130, 0.3f, 2.0f},
                           // decode only: one position per write, ring of 64
                           Case{40, 1, 110, 0.0f, 0.0f},
                           // a window of 1: every query sees itself only
                           Case{1, 4, 70, 0.0f, 0.0f},
                           // window + chunk reach the context: no ring, the window is a mask
                           Case{30, 16, 40, 0.0f, 5.0f},
                           // the window covers the whole context: plain causal attention
                           Case{100, 6, 50, 0.0f, 0.0f}),
                       ::testing::Values(KvType::kF32, KvType::kF16, KvType::kBf16)),
    [](const ::testing::TestParamInfo<Param>& info) {
      const Case& c = std::get<0>(info.param);
      std::string name = "w";
      name += std::to_string(c.window);
      name += "_b";
      name += std::to_string(c.batch);
      name += "_len";
      name += std::to_string(c.len);
      if (c.softcap > 0) name += "_softcap";
      name += "_";
      name += TypeName(std::get<1>(info.param));
      return name;
    });

TEST(SlidingKvCache, RingsAreBoundedByWindowAndChunkNotContext) {
  const KernelConfig& config = KernelConfig::For(0);
  std::string err;
  for (size_t context : {size_t{4096}, size_t{65536}}) {
    KvCache c;
    // Layers: global, window 512 (Gemma 3 1B), window 16; chunks of 64 positions.
    ASSERT_TRUE(
        Ok(KvCache::Create({3, 1, context, 256, KvType::kF16, {0, 512, 16}, 64}, config, &c), &err))
        << err;
    EXPECT_EQ(c.capacity(0), context);
    EXPECT_EQ(c.capacity(1), 576u);  // 512 + 63 → whole blocks of 32
    EXPECT_EQ(c.capacity(2), 96u);   // 16 + 63 → 96
    EXPECT_EQ(c.bytes(), 2u * 256 * 2 * (context + 576 + 96));
    EXPECT_EQ(c.Slot(1, 1000), 1000u % 576);
    EXPECT_EQ(c.Slot(0, 1000), 1000u);
  }
  // Without windows every layer holds the context.
  KvCache full;
  ASSERT_TRUE(Ok(KvCache::Create({3, 1, 4096, 256, KvType::kF16}, config, &full), &err)) << err;
  EXPECT_EQ(full.bytes(), 3u * 2 * 256 * 2 * 4096);
  EXPECT_FALSE(
      Ok(KvCache::Create({3, 1, 4096, 256, KvType::kF16, {0, 16}, 64}, config, &full), &err));
  EXPECT_NE(err.find("2 windows for 3 layers"), std::string::npos) << err;
}

TEST(SlidingKvCache, WritesAndRewindsARingAllows) {
  const KernelConfig& config = KernelConfig::For(0);
  std::string err;
  KvCache c;
  // Window 10, chunks of up to 8: a ring of 32 slots (Blocked(17)), context 200.
  ASSERT_TRUE(Ok(KvCache::Create({1, 1, 200, 4, KvType::kF32, {10}, 8}, config, &c), &err)) << err;
  ASSERT_EQ(c.capacity(0), 32u);
  std::vector<float> x(9 * 4);
  EXPECT_FALSE(Ok(c.Write(0, 9, x.data(), x.data()), &err));
  EXPECT_NE(err.find("exceeds the 8"), std::string::npos) << err;
  for (size_t p = 0; p < 40; p += 8) {
    for (size_t i = 0; i < 8 * 4; ++i) x[i] = float(p * 4 + i);  // element t of position q
    ASSERT_TRUE(Ok(c.Write(0, 8, x.data(), x.data()), &err)) << err;
    ASSERT_TRUE(Ok(c.Advance(8), &err)) << err;
  }
  // The last 32 positions are in their slots, the first 8 were overwritten.
  const float* keys = static_cast<const float*>(c.Keys(0, 0));
  for (size_t p = 8; p < 40; ++p) {
    for (size_t t = 0; t < 4; ++t) {
      ASSERT_EQ(keys[c.KeyIndex(t, c.Slot(0, p))], float(p * 4 + t)) << p;
    }
  }
  // Back by at most capacity − window + 1 = 23 positions (the next query at 17 needs 8..16),
  // or to the start.
  EXPECT_FALSE(Ok(c.Truncate(16), &err));
  EXPECT_NE(err.find("at most 23 back"), std::string::npos) << err;
  ASSERT_TRUE(Ok(c.Truncate(17), &err)) << err;
  ASSERT_TRUE(Ok(c.Truncate(0), &err)) << err;
  EXPECT_EQ(c.length(), 0u);
}

}  // namespace
}  // namespace lutra::engine::attention
