// Sampler: greedy is the argmax; top-k / top-p / min-p can produce exactly the candidate set a
// double-precision reference computed here allows (over many seeds); tiny temperature is
// greedy; a seed reproduces its sequence; penalties change exactly the logits they should.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "engine/src/sampler/sampler.h"
#include "tests/testing/rng.h"
#include "tests/testing/status_testing.h"
#include "tests/testing/variant_log.h"

namespace lutra::engine::sampler {
namespace {

std::vector<float> RandomLogits(uint64_t seed, size_t n, float lo, float hi) {
  testing::Rng rng(seed);
  std::vector<float> l(n);
  rng.Fill(l, lo, hi);
  return l;
}

// Token ids sorted by logit, descending (logits are distinct in these tests).
std::vector<int32_t> Order(const std::vector<float>& l) {
  std::vector<int32_t> o(l.size());
  std::iota(o.begin(), o.end(), 0);
  std::sort(o.begin(), o.end(), [&](int32_t a, int32_t b) { return l[a] > l[b]; });
  return o;
}

std::vector<double> Softmax(const std::vector<float>& l, double temperature) {
  double mx = *std::max_element(l.begin(), l.end()), s = 0.0;
  std::vector<double> p(l.size());
  for (size_t i = 0; i < l.size(); ++i) s += (p[i] = std::exp((l[i] - mx) / temperature));
  for (double& v : p) v /= s;
  return p;
}

// Every token the sampler returns over `draws` seeds.
std::set<int32_t> Reachable(SamplerParams p, const std::vector<float>& logits, int draws) {
  std::set<int32_t> seen;
  Sampler s;
  std::string err;
  for (int i = 0; i < draws; ++i) {
    p.seed = uint64_t(i) * 7919 + 1;
    EXPECT_TRUE(Ok(Sampler::Create(p, logits.size(), testing::TestFeatures(), &s), &err)) << err;
    std::vector<float> l = logits;
    int32_t t = -1;
    EXPECT_TRUE(Ok(s.Sample(l, {}, &t), &err)) << err;
    seen.insert(t);
  }
  return seen;
}

SamplerParams Plain() {
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  return p;
}

TEST(Sampler, GreedyIsArgmax) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const auto logits = RandomLogits(seed, 1000, -10.0f, 10.0f);
    SamplerParams p = Plain();
    p.temperature = 0.0f;
    Sampler s;
    std::string err;
    ASSERT_TRUE(Ok(Sampler::Create(p, logits.size(), 0, &s), &err)) << err;
    std::vector<float> l = logits;
    int32_t t = -1;
    ASSERT_TRUE(Ok(s.Sample(l, {}, &t), &err)) << err;
    EXPECT_EQ(t, Order(logits)[0]);
  }
}

TEST(Sampler, TinyTemperatureIsGreedy) {
  const auto logits = RandomLogits(3, 500, -5.0f, 5.0f);
  SamplerParams p = Plain();
  p.temperature = 1e-6f;
  EXPECT_EQ(Reachable(p, logits, 300), std::set<int32_t>{Order(logits)[0]});
}

TEST(Sampler, TopKKeepsExactlyTheKLargest) {
  const auto logits = RandomLogits(4, 50, 0.0f, 1.0f);
  SamplerParams p = Plain();
  p.top_k = 5;
  const auto o = Order(logits);
  // Each of the 5 has probability ≥ e^-1/5 per draw; 2000 draws miss one with p < 1e-40.
  EXPECT_EQ(Reachable(p, logits, 2000), std::set<int32_t>(o.begin(), o.begin() + 5));
}

TEST(Sampler, TopPKeepsTheSmallestPrefixReachingP) {
  const auto logits = RandomLogits(5, 30, 0.0f, 2.0f);
  const auto o = Order(logits);
  const auto prob = Softmax(logits, 1.0);
  // Choose p midway between two cumulative sums so float rounding cannot move the boundary.
  double c6 = 0.0;
  for (int i = 0; i < 6; ++i) c6 += prob[o[i]];
  const double c5 = c6 - prob[o[5]];
  SamplerParams p = Plain();
  p.top_p = float((c5 + c6) / 2);
  std::set<int32_t> ref;
  double cum = 0.0;
  for (int32_t t : o) {
    ref.insert(t);
    cum += prob[t];
    if (cum >= p.top_p) break;
  }
  ASSERT_EQ(ref.size(), 6u);
  EXPECT_EQ(Reachable(p, logits, 2000), ref);
}

TEST(Sampler, MinPKeepsTokensAboveTheFraction) {
  const auto logits = RandomLogits(6, 40, 0.0f, 3.0f);
  const auto o = Order(logits);
  const auto prob = Softmax(logits, 1.0);
  // Threshold midway between the 7th and 8th ratio p_i / p_max.
  const double r7 = prob[o[6]] / prob[o[0]], r8 = prob[o[7]] / prob[o[0]];
  SamplerParams p = Plain();
  p.min_p = float((r7 + r8) / 2);
  std::set<int32_t> ref;
  for (int32_t t : o) {
    if (prob[t] >= p.min_p * prob[o[0]]) ref.insert(t);
  }
  ASSERT_EQ(ref.size(), 7u);
  EXPECT_EQ(Reachable(p, logits, 3000), ref);
}

TEST(Sampler, CombinedFiltersIntersect) {
  const auto logits = RandomLogits(7, 64, 0.0f, 1.0f);
  const auto o = Order(logits);
  SamplerParams p = Plain();
  p.top_k = 10;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.temperature = 0.5f;
  EXPECT_EQ(Reachable(p, logits, 3000), std::set<int32_t>(o.begin(), o.begin() + 10));
}

TEST(Sampler, SameSeedSameSequenceAndFrequenciesFollowProbabilities) {
  const auto logits = RandomLogits(8, 16, 0.0f, 2.0f);
  auto run = [&](uint64_t seed) {
    SamplerParams p = Plain();
    p.seed = seed;
    Sampler s;
    std::string err;
    EXPECT_TRUE(Ok(Sampler::Create(p, logits.size(), testing::TestFeatures(), &s), &err)) << err;
    std::vector<int32_t> seq;
    for (int i = 0; i < 20000; ++i) {
      std::vector<float> l = logits;
      int32_t t = -1;
      EXPECT_TRUE(Ok(s.Sample(l, {}, &t), &err)) << err;
      seq.push_back(t);
    }
    return seq;
  };
  const auto a = run(42), b = run(42), c = run(43);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // Empirical frequency within 5 standard deviations of the softmax probability.
  const auto prob = Softmax(logits, 1.0);
  for (size_t t = 0; t < logits.size(); ++t) {
    const double f = double(std::count(a.begin(), a.end(), int32_t(t))) / double(a.size());
    EXPECT_NEAR(f, prob[t], 5.0 * std::sqrt(prob[t] * (1 - prob[t]) / double(a.size()))) << t;
  }
}

TEST(Sampler, PenaltiesChangeExactlyTheWindowTokens) {
  const auto logits = RandomLogits(9, 20, -4.0f, 4.0f);
  SamplerParams p = Plain();
  p.temperature = 0.0f;
  p.repetition_penalty = 1.3f;
  p.presence_penalty = 0.5f;
  p.frequency_penalty = 0.25f;
  p.penalty_window = 6;
  // Token 1 is only outside the window; 3 appears 3×, 5 twice, 7 once inside it.
  const std::vector<int32_t> recent = {1, 1, 3, 5, 3, 7, 5, 3};
  Sampler s;
  std::string err;
  ASSERT_TRUE(Ok(Sampler::Create(p, logits.size(), 0, &s), &err)) << err;
  std::vector<float> l = logits;
  int32_t t = -1;
  ASSERT_TRUE(Ok(s.Sample(l, recent, &t), &err)) << err;
  for (size_t i = 0; i < logits.size(); ++i) {
    const double count = (i == 3) ? 3 : (i == 5) ? 2 : (i == 7) ? 1 : 0;
    double ref = logits[i];
    if (count > 0) {
      ref = ref > 0 ? ref / 1.3 : ref * 1.3;
      ref -= 0.5 + 0.25 * count;
    }
    EXPECT_NEAR(l[i], ref, 1e-5) << i;
  }
}

TEST(Sampler, InvalidParametersAreNamed) {
  Sampler s;
  std::string err;
  SamplerParams p;
  p.temperature = -1.0f;
  EXPECT_FALSE(Ok(Sampler::Create(p, 10, 0, &s), &err));
  EXPECT_NE(err.find("temperature"), std::string::npos) << err;
  p = SamplerParams{};
  p.top_p = 0.0f;
  EXPECT_FALSE(Ok(Sampler::Create(p, 10, 0, &s), &err));
  EXPECT_NE(err.find("top_p"), std::string::npos) << err;
  p.top_p = 1.5f;
  EXPECT_FALSE(Ok(Sampler::Create(p, 10, 0, &s), &err));
  p = SamplerParams{};
  p.min_p = -0.1f;
  EXPECT_FALSE(Ok(Sampler::Create(p, 10, 0, &s), &err));
  EXPECT_NE(err.find("min_p"), std::string::npos) << err;
  p = SamplerParams{};
  p.repetition_penalty = 0.0f;
  EXPECT_FALSE(Ok(Sampler::Create(p, 10, 0, &s), &err));
  EXPECT_NE(err.find("repetition_penalty"), std::string::npos) << err;
  p = SamplerParams{};
  EXPECT_FALSE(Ok(Sampler::Create(p, 0, 0, &s), &err));
  ASSERT_TRUE(Ok(Sampler::Create(p, 10, 0, &s), &err)) << err;
  std::vector<float> l(9, 0.0f);
  int32_t t;
  EXPECT_FALSE(Ok(s.Sample(l, {}, &t), &err));
  EXPECT_NE(err.find("9 logits"), std::string::npos) << err;
  l.assign(10, 0.0f);
  const std::vector<int32_t> bad = {12};
  EXPECT_FALSE(Ok(s.Sample(l, bad, &t), &err));
  EXPECT_NE(err.find("history token 12"), std::string::npos) << err;
  l.assign(10, -INFINITY);
  EXPECT_FALSE(Ok(s.Sample(l, {}, &t), &err));
  EXPECT_NE(err.find("no finite logit"), std::string::npos) << err;
}

}  // namespace
}  // namespace lutra::engine::sampler
