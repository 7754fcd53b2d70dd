// Q4_0 through the q4rows operator (engine/src/linear/linear_q4rows.cc), which PlanLinear picks
// on ARM and which runs here with the best variant this CPU has (x86: AVX2): against a double
// reference over the file's own decoded weights, for one token and for batches, rows that are
// not a multiple of the row group, and the Save / Restore round trip of the repack cache.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "arch/detect.h"
#include "engine/src/common/threadpool.h"
#include "engine/src/dispatch/kernel_config.h"
#include "engine/src/formats/tensor_encode.h"
#include "engine/src/formats/tensor_formats.h"
#include "engine/src/linear/linear.h"
#include "engine/src/linear/linear_q4rows.h"
#include "engine/src/linear/saved_linear.h"
#include "tests/engine/int8_block_bound.h"
#include "tests/testing/rng.h"

namespace lutra::engine::linear {
namespace {

using gguf::TensorType;
using testing::Rng;

struct Q4Matrix {
  Q4Matrix(size_t rows, size_t cols, Rng& rng) : weights(rows * cols) {
    std::vector<float> w(rows * cols);
    for (float& v : w) v = rng.Normal(0.0f, 0.05f);
    bytes.resize(formats::EncodedBytes(TensorType::Q4_0, w.size()));
    EXPECT_TRUE(formats::EncodeWeights(TensorType::Q4_0, w.data(), w.size(), bytes.data()));
    formats::DecodeBlocks(TensorType::Q4_0, bytes.data(), w.size() / 32, weights.data());
    info.name = "blk.0.ffn_up.weight";
    info.type = TensorType::Q4_0;
    info.shape = {cols, rows};
    info.n_elements = rows * cols;
    info.n_bytes = bytes.size();
    info.data = bytes.data();
  }
  std::vector<uint8_t> bytes;
  std::vector<float> weights;  // what the file's blocks stand for
  gguf::TensorInfo info;
};

PlanOptions Options() {
  PlanOptions o;
  o.kernels = &KernelConfig::For(arch::Process().features);
  return o;
}

void CheckAgainstReference(const Linear& l, const Q4Matrix& m, size_t n, Rng& rng) {
  const size_t rows = l.rows(), cols = l.cols();
  ThreadPool pool(2);
  auto scratch = MakeLinearScratch();
  std::vector<float> x(n * cols), y(n * rows);
  for (float& v : x) v = rng.Normal(0.0f, 1.0f);
  ASSERT_TRUE(l.Forward(n, x.data(), y.data(), pool, *scratch).ok());
  for (size_t t = 0; t < n; ++t) {
    for (size_t r = 0; r < rows; ++r) {
      double want = 0, magnitude = 0;
      for (size_t c = 0; c < cols; ++c) {
        const double p = double(m.weights[r * cols + c]) * x[t * cols + c];
        want += p, magnitude += std::fabs(p);
      }
      // Activations int8 per 256 (the last span of a row may be shorter: a bound per 32-wide
      // block of the span's scale would be tighter; the span's own is exact).
      double bound = 1e-5 * magnitude + 1e-6;
      for (size_t s = 0; s < cols; s += 256) {
        const size_t len = std::min<size_t>(256, cols - s);
        bound += lutra::testing::Int8BlockRoundingBound(m.weights.data() + r * cols + s,
                                                        x.data() + t * cols + s, len, len);
      }
      ASSERT_NEAR(y[t * rows + r], want, bound) << l.Describe() << " n=" << n << " row " << r;
    }
  }
}

TEST(Q4RowsLinear, MatchesDoubleReference) {
  Rng rng(41);
  for (size_t rows : {1u, 6u, 37u}) {
    for (size_t cols : {32u, 288u, 1024u}) {
      Q4Matrix m(rows, cols, rng);
      auto l = PlanQ4RowsLinear(m.info, Options());
      ASSERT_TRUE(l.ok()) << l.error();
      EXPECT_NE((*l)->Describe().find("lutra_q4rows"), std::string::npos) << (*l)->Describe();
      // The file's 4.5 bits per weight (rows padded to the group of four).
      EXPECT_EQ((*l)->OwnedBytes(), (rows + 3) / 4 * 4 * cols / 32 * 18) << (*l)->Describe();
      for (size_t n : {1u, 5u, 20u}) CheckAgainstReference(**l, m, n, rng);
    }
  }
}

TEST(Q4RowsLinear, SavedRepackRestoresTheSameOperator) {
  Rng rng(42);
  Q4Matrix m(13, 512, rng);
  auto l = PlanQ4RowsLinear(m.info, Options());
  ASSERT_TRUE(l.ok()) << l.error();
  std::optional<SavedLinear> saved = (*l)->Save();
  ASSERT_TRUE(saved.has_value());
  RestoredLinear restored{saved->kind, saved->descriptor, {}};
  for (const SavedArray& a : saved->arrays) {
    std::shared_ptr<uint8_t> copy(
        static_cast<uint8_t*>(::operator new(a.bytes, std::align_val_t(64))),
        [](uint8_t* p) { ::operator delete(p, std::align_val_t(64)); });
    std::memcpy(copy.get(), a.data, a.bytes);
    restored.arrays.push_back({copy, a.bytes});
  }
  auto again = RestoreLinear(m.info, restored, Options());
  ASSERT_TRUE(again.ok()) << again.error();
  ThreadPool pool(1);
  auto scratch = MakeLinearScratch();
  std::vector<float> x(3 * 512), want(3 * 13), got(3 * 13);
  for (float& v : x) v = rng.Normal(0.0f, 1.0f);
  ASSERT_TRUE((*l)->Forward(3, x.data(), want.data(), pool, *scratch).ok());
  ASSERT_TRUE((*again)->Forward(3, x.data(), got.data(), pool, *scratch).ok());
  EXPECT_EQ(got, want);
  // A descriptor naming another kernel is refused, not restored.
  DescriptorWriter d;
  d.Str("lutra_q4rows_gemm_r1t1__nonexistent");
  const std::string other = d.Take();
  restored.descriptor = other;
  EXPECT_FALSE(RestoreLinear(m.info, restored, Options()).ok());
}

// PlanLinear takes q4rows for Q4_0 exactly where the kernel config prefers it (ARM).
TEST(Q4RowsLinear, PlanLinearFollowsThePreference) {
  Rng rng(43);
  Q4Matrix m(8, 256, rng);
  const PlanOptions o = Options();
  auto l = PlanLinear(m.info, o);
  ASSERT_TRUE(l.ok()) << l.error();
  const bool rows = (*l)->Describe().find("lutra_q4rows") != std::string::npos;
  EXPECT_EQ(rows, o.kernels->q4rows_preferred()) << (*l)->Describe();
}

}  // namespace
}  // namespace lutra::engine::linear
