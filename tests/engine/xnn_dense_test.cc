// XNNPACK links and runs with lutra's pthreadpool on every target: fp32 fully-connected
// against a double-precision reference, single- and multi-threaded.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "arch/detect.h"
#include "engine/src/common/threadpool.h"
#include "engine/src/linear/xnn_dense.h"
#include "tests/testing/rng.h"
#include "tests/testing/status_testing.h"

namespace lutra::engine {

using linear::XnnFullyConnectedF32;
using linear::XnnFullyConnectedQS8;
using linear::XnnSoftmaxF32;
namespace {

// Debian's riscv64 XNNPACK (trixie) is built with V and executes vector instructions without
// checking for them, so on a core without V it dies with SIGILL instead of reporting an error.
bool XnnpackUnusableHere(std::string* why) {
#if defined(__riscv)
  if ((arch::Host().features & arch::kRVV) == 0) {
    *why = "this riscv64 core has no V extension, which the distribution's XNNPACK requires";
    return true;
  }
#endif
  (void)why;
  return false;
}

#define LUTRA_SKIP_WITHOUT_XNNPACK()                    \
  do {                                                  \
    std::string why;                                    \
    if (XnnpackUnusableHere(&why)) GTEST_SKIP() << why; \
  } while (0)

void RunFullyConnected(size_t threads) {
  LUTRA_SKIP_WITHOUT_XNNPACK();
  const size_t in = 67, out = 33, batch = 5;
  testing::Rng rng(7);
  std::vector<float> w(in * out), b(out), x(batch * in), y(batch * out, NAN);
  rng.Fill(w, -1.0f, 1.0f);
  rng.Fill(b, -1.0f, 1.0f);
  rng.Fill(x, -1.0f, 1.0f);
  std::string error;
  XnnFullyConnectedF32 fc;
  ASSERT_TRUE(Ok(fc.Create(in, out, w.data(), b.data()), &error)) << error;
  ThreadPool pool(threads);
  ASSERT_TRUE(Ok(fc.Run(batch, x.data(), y.data(), pool.handle()), &error)) << error;
  for (size_t n = 0; n < batch; ++n) {
    for (size_t o = 0; o < out; ++o) {
      double ref = b[o];
      for (size_t i = 0; i < in; ++i) ref += double(x[n * in + i]) * w[o * in + i];
      EXPECT_NEAR(y[n * out + o], ref, 1e-4) << "n=" << n << " o=" << o;
    }
  }
}

TEST(XnnFullyConnectedF32, MatchesReferenceSingleThreaded) {
  RunFullyConnected(1);
}
TEST(XnnFullyConnectedF32, MatchesReferenceOnTwoThreads) {
  RunFullyConnected(2);
}

// qs8: y = clamp(round(Σ x·w · s_x·s_w / s_y), -128, 127), all zero points 0. The reference
// computes the exact int32 sum and rescales in double; XNNPACK requantizes in fixed point or
// fp32 with its own rounding of ties and of the scale, so outputs may differ by one step.
TEST(XnnFullyConnectedQS8, MatchesReferenceWithinOneStep) {
  LUTRA_SKIP_WITHOUT_XNNPACK();
  const size_t in = 64, out = 19, batch = 3;
  const float sx = 0.05f, sw = 0.02f, sy = 0.5f;
  testing::Rng rng(9);
  std::vector<int8_t> w(in * out), x(batch * in), y(batch * out, 0);
  for (auto& v : w) v = static_cast<int8_t>(rng.Int(-127, 127));
  for (auto& v : x) v = static_cast<int8_t>(rng.Int(-127, 127));
  std::string error;
  XnnFullyConnectedQS8 fc;
  ASSERT_TRUE(Ok(fc.Create(in, out, w.data(), sx, sw, sy), &error)) << error;
  ThreadPool pool(2);
  ASSERT_TRUE(Ok(fc.Run(batch, x.data(), y.data(), pool.handle()), &error)) << error;
  for (size_t n = 0; n < batch; ++n) {
    for (size_t o = 0; o < out; ++o) {
      int64_t acc = 0;
      for (size_t i = 0; i < in; ++i) acc += int64_t{x[n * in + i]} * w[o * in + i];
      const double ref = std::clamp(std::nearbyint(double(acc) * sx * sw / sy), -128.0, 127.0);
      EXPECT_NEAR(y[n * out + o], ref, 1.0) << "n=" << n << " o=" << o;
    }
  }
}

TEST(XnnSoftmaxF32, RowsSumToOne) {
  LUTRA_SKIP_WITHOUT_XNNPACK();
  const size_t channels = 100, rows = 3;
  testing::Rng rng(8);
  std::vector<float> x(channels * rows), y(channels * rows);
  rng.Fill(x, -5.0f, 5.0f);
  std::string error;
  XnnSoftmaxF32 softmax;
  ASSERT_TRUE(Ok(softmax.Create(channels), &error)) << error;
  ThreadPool pool(2);
  ASSERT_TRUE(Ok(softmax.Run(rows, x.data(), y.data(), pool.handle()), &error)) << error;
  for (size_t r = 0; r < rows; ++r) {
    double sum = 0.0, max = -1e30;
    for (size_t c = 0; c < channels; ++c) max = std::max(max, double(x[r * channels + c]));
    for (size_t c = 0; c < channels; ++c) sum += std::exp(double(x[r * channels + c]) - max);
    for (size_t c = 0; c < channels; ++c) {
      const double ref = std::exp(double(x[r * channels + c]) - max) / sum;
      EXPECT_NEAR(y[r * channels + c], ref, 1e-6 + 1e-5 * ref);
    }
  }
}

TEST(ThreadPool, ParallelForVisitsEveryIndexOnce) {
  for (size_t threads : {1u, 2u, 3u}) {
    ThreadPool pool(threads);
    // The threads asked for, not an inline fallback: the ThreadSanitizer job (scripts/tsan.sh)
    // would check nothing if its pools quietly ran on one thread.
    ASSERT_EQ(pool.threads(), threads);
    std::vector<int> hits(1000, 0);
    pool.ParallelFor(hits.size(), [&](size_t i) { hits[i] += 1; });
    for (size_t i = 0; i < hits.size(); ++i) ASSERT_EQ(hits[i], 1) << "threads=" << threads;
  }
}

}  // namespace
}  // namespace lutra::engine
