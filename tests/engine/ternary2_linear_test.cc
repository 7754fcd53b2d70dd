// TQ1_0 / TQ2_0 / I2_S through the ternary2 operator (engine/src/linear/linear_ternary2.cc),
// which PlanLinear picks on ARM and which runs here with the best variant this CPU has (x86:
// scalar; NEON and dotprod under qemu): against a double reference over the file's own decoded
// weights, with both scale kinds (ternary-trained files: one scale per row; files quantized from
// a non-ternary model: the fp16 scale of each 256 weights), rows that are not a multiple of the
// row group, batches, invalid codes, and the Save / Restore round trip of the repack cache.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "arch/detect.h"
#include "engine/src/common/threadpool.h"
#include "engine/src/dispatch/kernel_catalog.h"
#include "engine/src/dispatch/kernel_config.h"
#include "engine/src/formats/tensor_encode.h"
#include "engine/src/formats/tensor_formats.h"
#include "engine/src/linear/linear.h"
#include "engine/src/linear/linear_ternary2.h"
#include "engine/src/linear/saved_linear.h"
#include "kernels/ternary2/ternary2.h"
#include "tests/engine/int8_block_bound.h"
#include "tests/testing/rng.h"

namespace lutra::engine::linear {
namespace {

using gguf::TensorType;
using testing::Rng;

enum class Scales { kTensor, kBlocks };

// A ternary matrix as a file holds it. kTensor: weights in {−s, 0, +s} with one s (what a
// ternary-trained model writes), some 256-weight blocks all zero (their fp16 d is 0: the
// operator must still see one scale per row); kBlocks: normal weights, a d per block.
struct TernaryMatrix {
  TernaryMatrix(TensorType type, size_t rows, size_t cols, Scales scales, Rng& rng)
      : weights(rows * cols) {
    std::vector<float> w(rows * cols);
    for (size_t i = 0; i < w.size(); ++i) {
      if (scales == Scales::kBlocks) {
        w[i] = rng.Normal(0.0f, 0.05f);
      } else {
        const bool zero_block = (i / 256) % 5 == 3;
        const float u = rng.Uniform(0.0f, 1.0f);
        w[i] = zero_block ? 0.0f : u < 0.3f ? -0.0625f : u < 0.6f ? 0.0f : 0.0625f;
      }
    }
    bytes.resize(formats::EncodedBytes(type, w.size()));
    EXPECT_TRUE(formats::EncodeWeights(type, w.data(), w.size(), bytes.data()));
    formats::DecodeBlocks(type, bytes.data(), w.size() / formats::FormatOf(type).weights,
                          weights.data());
    info.name = "blk.0.ffn_up.weight";
    info.type = type;
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

void CheckAgainstReference(const Linear& l, const TernaryMatrix& m, size_t n, Rng& rng) {
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
      // int8 activations with one scale per token (the whole row is one block).
      const double bound = 1e-5 * magnitude + 1e-6 +
                           lutra::testing::Int8BlockRoundingBound(m.weights.data() + r * cols,
                                                                  x.data() + t * cols, cols, cols);
      ASSERT_NEAR(y[t * rows + r], want, bound) << l.Describe() << " n=" << n << " row " << r;
    }
  }
}

TEST(Ternary2Linear, MatchesDoubleReference) {
  Rng rng(51);
  for (TensorType type : {TensorType::TQ2_0, TensorType::TQ1_0}) {
    for (Scales scales : {Scales::kTensor, Scales::kBlocks}) {
      for (size_t rows : {1u, 6u, 37u}) {
        for (size_t cols : {256u, 1280u}) {
          TernaryMatrix m(type, rows, cols, scales, rng);
          auto l = PlanTernary2Linear(m.info, Options());
          ASSERT_TRUE(l.ok()) << l.error();
          const std::string d = (*l)->Describe();
          EXPECT_NE(d.find("lutra_ternary2"), std::string::npos) << d;
          // One block per row is one scale per row whatever the file's kind.
          const bool uniform = scales == Scales::kTensor || cols == 256;
          EXPECT_NE(d.find(uniform ? "one scale per row" : "fp16 scale per 256"), std::string::npos)
              << d;
          EXPECT_TRUE((*l)->Int8Activations());
          // 2 bits per weight and the scales: never above a TQ2_0 file's bytes (rows padded to
          // the group of four) but for an fp32 row scale against a single block's fp16 d.
          const size_t padded = (rows + 3) / 4 * 4;
          EXPECT_LE((*l)->OwnedBytes(), padded * (cols / 256 * 66 + (cols == 256 ? 2 : 0))) << d;
          for (size_t n : {1u, 2u, 5u, 20u}) CheckAgainstReference(**l, m, n, rng);
        }
      }
    }
  }
}

TEST(Ternary2Linear, I2SMatchesDoubleReference) {
  Rng rng(52);
  TernaryMatrix m(TensorType::I2_S, 11, 512, Scales::kTensor, rng);
  auto l = PlanTernary2Linear(m.info, Options());
  ASSERT_TRUE(l.ok()) << l.error();
  EXPECT_NE((*l)->Describe().find("one scale per row"), std::string::npos) << (*l)->Describe();
  for (size_t n : {1u, 3u}) CheckAgainstReference(**l, m, n, rng);
}

TEST(Ternary2Linear, InvalidCodeIsNamed) {
  Rng rng(53);
  TernaryMatrix m(TensorType::TQ2_0, 4, 256, Scales::kBlocks, rng);
  m.bytes[70] |= 0x03;  // the second row's first byte of codes: a field of 3 (invalid)
  auto l = PlanTernary2Linear(m.info, Options());
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().find("blk.0.ffn_up.weight"), std::string::npos) << l.error();
  EXPECT_NE(l.error().find("invalid ternary code 3"), std::string::npos) << l.error();
}

std::shared_ptr<uint8_t> AlignedCopy(const SavedArray& a) {
  std::shared_ptr<uint8_t> copy(
      static_cast<uint8_t*>(::operator new(a.bytes, std::align_val_t(64))),
      [](uint8_t* p) { ::operator delete(p, std::align_val_t(64)); });
  std::memcpy(copy.get(), a.data, a.bytes);
  return copy;
}

TEST(Ternary2Linear, SavedRepackRestoresTheSameOperator) {
  Rng rng(54);
  for (Scales scales : {Scales::kTensor, Scales::kBlocks}) {
    // 1024 columns: four blocks, so the two scale kinds have arrays of different sizes.
    TernaryMatrix m(TensorType::TQ2_0, 13, 1024, scales, rng);
    auto l = PlanTernary2Linear(m.info, Options());
    ASSERT_TRUE(l.ok()) << l.error();
    std::optional<SavedLinear> saved = (*l)->Save();
    ASSERT_TRUE(saved.has_value());
    EXPECT_EQ(saved->kind, SavedKind::kTernary2);
    RestoredLinear restored{saved->kind, saved->descriptor, {}};
    for (const SavedArray& a : saved->arrays) restored.arrays.push_back({AlignedCopy(a), a.bytes});
    auto again = RestoreLinear(m.info, restored, Options());
    ASSERT_TRUE(again.ok()) << again.error();
    EXPECT_EQ((*again)->Describe(), (*l)->Describe());
    ThreadPool pool(1);
    auto scratch = MakeLinearScratch();
    std::vector<float> x(3 * 1024), want(3 * 13), got(3 * 13);
    for (float& v : x) v = rng.Normal(0.0f, 1.0f);
    ASSERT_TRUE((*l)->Forward(3, x.data(), want.data(), pool, *scratch).ok());
    ASSERT_TRUE((*again)->Forward(3, x.data(), got.data(), pool, *scratch).ok());
    EXPECT_EQ(got, want);
    // Another kernel, or the other scale kind (arrays of the wrong size), is refused.
    for (int other = 0; other < 2; ++other) {
      DescriptorWriter d;
      d.Str(other == 0 ? "lutra_ternary2_gemm_r1t1__nonexistent"
                       : Options().kernels->ternary2().name);
      d.U64(other == 0 ? (scales == Scales::kTensor ? 1 : 0) : (scales == Scales::kTensor ? 0 : 1));
      const std::string descriptor = d.Take();
      RestoredLinear wrong = restored;
      wrong.descriptor = descriptor;
      EXPECT_FALSE(RestoreLinear(m.info, wrong, Options()).ok()) << other;
    }
  }
}

// PlanLinear takes ternary2 for ternary tensors exactly where the kernel config prefers it
// (ARM), and reports it in the catalog's "ternary2" row.
TEST(Ternary2Linear, PlanLinearFollowsThePreference) {
  Rng rng(55);
  TernaryMatrix m(TensorType::TQ2_0, 8, 256, Scales::kTensor, rng);
  const PlanOptions o = Options();
  auto l = PlanLinear(m.info, o);
  ASSERT_TRUE(l.ok()) << l.error();
  const bool rows = (*l)->Describe().find("lutra_ternary2") != std::string::npos;
  EXPECT_EQ(rows, o.kernels->ternary2_preferred()) << (*l)->Describe();
  std::string reported;
  for (const KernelOp& k : KernelOps()) {
    if (std::string(k.op) == "ternary2") reported = k.selected(o.kernels->features());
  }
  ASSERT_FALSE(reported.empty()) << "no catalog entry ternary2";
  EXPECT_NE((*l)->Describe().find(reported), std::string::npos) << (*l)->Describe();
  // fp32 activation tables requested: never the int8-exact rows.
  PlanOptions tables = o;
  tables.ternary_int8_activations = false;
  auto lut = PlanLinear(m.info, tables);
  ASSERT_TRUE(lut.ok()) << lut.error();
  EXPECT_EQ((*lut)->Describe().find("lutra_ternary2"), std::string::npos) << (*lut)->Describe();
}

}  // namespace
}  // namespace lutra::engine::linear
