// XNNPACK links and runs with lutra's pthreadpool on every target: fp32 fully-connected
// against a double-precision reference, single- and multi-threaded.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/src/threadpool.h"
#include "engine/src/xnn/xnn_dense.h"
#include "tests/testing/rng.h"

namespace lutra::engine {
namespace {

void RunFullyConnected(size_t threads) {
  const size_t in = 67, out = 33, batch = 5;
  testing::Rng rng(7);
  std::vector<float> w(in * out), b(out), x(batch * in), y(batch * out, NAN);
  rng.Fill(w, -1.0f, 1.0f);
  rng.Fill(b, -1.0f, 1.0f);
  rng.Fill(x, -1.0f, 1.0f);
  std::string error;
  XnnFullyConnectedF32 fc;
  ASSERT_TRUE(fc.Create(in, out, w.data(), b.data(), &error)) << error;
  ThreadPool pool(threads);
  ASSERT_TRUE(fc.Run(batch, x.data(), y.data(), pool.handle(), &error)) << error;
  for (size_t n = 0; n < batch; ++n) {
    for (size_t o = 0; o < out; ++o) {
      double ref = b[o];
      for (size_t i = 0; i < in; ++i) ref += double(x[n * in + i]) * w[o * in + i];
      EXPECT_NEAR(y[n * out + o], ref, 1e-4) << "n=" << n << " o=" << o;
    }
  }
}

TEST(XnnFullyConnectedF32, MatchesReferenceSingleThreaded) { RunFullyConnected(1); }
TEST(XnnFullyConnectedF32, MatchesReferenceOnTwoThreads) { RunFullyConnected(2); }

TEST(XnnSoftmaxF32, RowsSumToOne) {
  const size_t channels = 100, rows = 3;
  testing::Rng rng(8);
  std::vector<float> x(channels * rows), y(channels * rows);
  rng.Fill(x, -5.0f, 5.0f);
  std::string error;
  XnnSoftmaxF32 softmax;
  ASSERT_TRUE(softmax.Create(channels, &error)) << error;
  ThreadPool pool(2);
  ASSERT_TRUE(softmax.Run(rows, x.data(), y.data(), pool.handle(), &error)) << error;
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
    std::vector<int> hits(1000, 0);
    pool.ParallelFor(hits.size(), [&](size_t i) { hits[i] += 1; });
    for (size_t i = 0; i < hits.size(); ++i) ASSERT_EQ(hits[i], 1) << "threads=" << threads;
  }
}

}  // namespace
}  // namespace lutra::engine
