// Replicable random inputs for tests: a fixed-seed generator per test, so a failure reproduces.
#pragma once

#include <cstdint>
#include <random>
#include <span>

namespace lutra::testing {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0x1a7a) : engine_(seed) {}
  float Uniform(float lo, float hi) {
    return std::uniform_real_distribution<float>(lo, hi)(engine_);
  }
  // One distribution kept across calls: it draws values in pairs, and a fresh one per call
  // would throw the second away (half the test setup time of the large kernel suites).
  float Normal(float mean = 0.0f, float stddev = 1.0f) { return mean + stddev * normal_(engine_); }
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(engine_); }
  void Fill(std::span<float> out, float lo, float hi) {
    for (float& v : out) v = Uniform(lo, hi);
  }
  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
  std::normal_distribution<float> normal_;
};

}  // namespace lutra::testing
