// kquant on the lattice i-quants (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M): every
// registry variant against a double-precision reference. The test chooses each block's
// contents (grid indices, sign bits, scale fields, IQ1's shifts, d), packs them into the
// block's bytes by the layout rules (as llama.cpp's quantize_row_iq* packs them), and computes
// the weights in double from the chosen contents by the formats' definitions (ggml-quants.c,
// dequantize_row_iq*), never from the bytes. Covered: every grid index of every format (the
// indices run through the whole grid across the matrix), all 128 stored sign patterns and
// random full ones, every scale field value, both shifts, n across the many-token tiles, rows
// at odd addresses ending at a guard page, and blocks at their extremes (largest scales and
// magnitudes with activations of the same signs, so every sum is as large as it can be).
// Tolerance: the activations' rounding (|x − s·a| ≤ s/2 per value, times |w|) plus fp32
// rounding of one product per block.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/f16/convert.h"
#include "kernels/kquant/kquant.h"
#include "tests/kernels/lut_testing.h"
#include "tests/testing/guarded_buffer.h"
#include "tests/testing/iq_blocks.h"
#include "tests/testing/rng.h"
#include "tests/testing/variant_log.h"

namespace lutra::kernels::kquant {

void PrintTo(const Kernels& k, std::ostream* os);

namespace {

using testing::GuardedBuffer;
using testing::Rng;
using testing::iq::GridValue;
using testing::iq::Pack;
using testing::iq::RandomSpec;
using testing::iq::Spec;
using testing::iq::Traits;
using testing::iq::TraitsOf;
using testing::iq::Weights256;
using testing::iq::WithParity;

// A matrix of m rows of k weights, its bytes in one buffer with a spare byte so that the rows
// start at odd addresses (the buffer ends at a guard page), and its weights in double.
struct Matrix {
  Matrix(Format f, size_t m, size_t k)
      : format(f),
        m(m),
        k(k),
        row_bytes(k / kSuperBlock * BlockBytes(f)),
        bytes(m * row_bytes + 1),
        w(m * k) {}
  kquant::Weights view() const { return {m, k, bytes.data(), row_bytes}; }
  void Set(size_t block, const Spec& sp) {
    Pack(format, sp, bytes.data() + block * BlockBytes(format));
    Weights256(format, sp, w.data() + block * kSuperBlock);
  }
  Format format;
  size_t m, k, row_bytes;
  GuardedBuffer<uint8_t> bytes;
  std::vector<double> w;
};

// Token-major activations and their interleaved copy (the many-token kernels take it from
// kMinTiledTokens tokens on).
struct Tokens {
  Tokens(Format f, size_t k, size_t n, const std::vector<float>& x)
      : q(n * k),
        scale(n * k / kSuperBlock),
        bsum(n * k / kSumGroup),
        tq(TileCount(n) * k * kTileTokens),
        tscale(TileCount(n) * k / kSuperBlock * kTileTokens),
        tsum(TileCount(n) * k / TileSumGroup(f) * kTileTokens) {
    for (size_t t = 0; t < n; ++t) {
      Quantize(f, k, x.data() + t * k, q.data() + t * k, scale.data() + t * (k / kSuperBlock),
               bsum.data() + t * (k / kSumGroup));
    }
    view = {k, n, q.data(), scale.data(), bsum.data(), {}};
    Interleave(f, view, tq.data(), tscale.data(), tsum.data());
    view.tiles = {tq.data(), tscale.data(), tsum.data()};
  }
  GuardedBuffer<int8_t> q;
  GuardedBuffer<float> scale;
  GuardedBuffer<int16_t> bsum;
  GuardedBuffer<int8_t> tq;
  GuardedBuffer<float> tscale;
  GuardedBuffer<int32_t> tsum;
  Activations view;
};

void Check(const Kernels& v, const Matrix& w, const std::vector<float>& x, size_t n,
           const std::string& where) {
  Tokens a(w.format, w.k, n, x);
  const size_t y_stride = w.m + 3, groups = w.k / kSuperBlock;
  GuardedBuffer<float> y(n * y_stride);
  for (size_t i = 0; i < y.size(); ++i) y[i] = -7.0f;
  // Two calls, split at an odd row, as the threaded driver may.
  const size_t split = w.m / 2 + (w.m > 4 ? 1 : 0);
  if (split > 0) v.gemm(w.view(), a.view, 0, split, y.data(), y_stride);
  v.gemm(w.view(), a.view, split, w.m, y.data(), y_stride);
  ASSERT_TRUE(y.Intact() && w.bytes.Intact() && a.q.Intact() && a.tq.Intact() && a.tsum.Intact())
      << where;
  for (size_t t = 0; t < n; ++t) {
    for (size_t r = 0; r < w.m; ++r) {
      double want = 0, quant = 0, magnitude = 0;
      for (size_t i = 0; i < w.k; ++i) {
        const double wi = w.w[r * w.k + i], xi = x[t * w.k + i];
        const double s = a.scale[t * groups + i / kSuperBlock];
        const int8_t qi = a.q[t * w.k + i];
        want += wi * xi;
        quant += std::fabs(wi) * std::fabs(xi - s * qi);
        magnitude += std::fabs(wi) * s * std::abs(qi);
      }
      const double bound =
          quant * (1 + 1e-9) + magnitude * double(groups + 2) * std::ldexp(1.0, -22) + 1e-30;
      ASSERT_NEAR(y[t * y_stride + r], want, bound) << where << " t=" << t << " row=" << r;
    }
    for (size_t r = w.m; r < y_stride; ++r) ASSERT_EQ(y[t * y_stride + r], -7.0f) << where;
  }
}

std::vector<Kernels> GridKernels() {
  std::vector<Kernels> out;
  for (const Kernels& k : AllKernels()) {
    if (IsGridFormat(k.format)) out.push_back(k);
  }
  return out;
}

class KQuantIq : public ::testing::TestWithParam<Kernels> {};

TEST_P(KQuantIq, MatchesTheDefinition) {
  const Kernels& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  const bool small = lut_testing::SmallScale();
  // (m, k): the last one has enough groups of 8 for every index of the largest grid (2048).
  const std::vector<std::pair<size_t, size_t>> shapes =
      small ? std::vector<std::pair<size_t, size_t>>{{5, 256}, {8, 2048}}
            : std::vector<std::pair<size_t, size_t>>{{1, 256}, {3, 512}, {9, 768}, {8, 2048}};
  // 12 and more: the many-token kernels' interleaved path, full and partial tiles of 16 and
  // more tiles than one pass takes.
  const std::vector<size_t> ns =
      small ? std::vector<size_t>{1, 3, 17} : std::vector<size_t>{1, 2, 5, 8, 9, 12, 16, 33, 80};
  Rng rng(31);
  size_t next_idx = 0;
  int next_sign = 0;
  for (const auto& [m, k] : shapes) {
    Matrix w(v.format, m, k);
    next_idx = 0;  // every shape starts the grid again, so the largest one covers all of it
    for (size_t b = 0; b < m * k / kSuperBlock; ++b) {
      w.Set(b, RandomSpec(v.format, rng, &next_idx, &next_sign));
    }
    if (m * k >= 8 * TraitsOf(v.format).grid) {
      ASSERT_GE(next_idx, TraitsOf(v.format).grid);
    }
    for (size_t n : ns) {
      std::vector<float> x(n * k);
      for (float& e : x) e = rng.Normal(0.0f, 1.0f);
      for (size_t i = 0; i < 16; ++i) x[size_t(rng.Int(0, int(x.size()) - 1))] = 0.0f;
      Check(v, w, x, n,
            std::string(v.name) + " m=" + std::to_string(m) + " k=" + std::to_string(k) +
                " n=" + std::to_string(n));
    }
  }
}

// Largest scales, the grid point of largest magnitude in every group, d = 1, and activations
// ±127 (s = 1, exact) of each weight's sign: every sub-block sum is as large as it can be.
// IQ1: shifts alternate, so both 8·g + 1 and 8·g − 1 occur at their largest.
TEST_P(KQuantIq, ExtremeBlocksStayExact) {
  const Kernels& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  const Traits tr = TraitsOf(v.format);
  size_t best = 0;
  int best_sum = -1;
  for (size_t i = 0; i < tr.grid; ++i) {
    int sum = 0;
    for (int j = 0; j < 8 / tr.points_per_group; ++j) sum += std::abs(GridValue(v.format, i, j));
    if (sum > best_sum) best_sum = sum, best = i;
  }
  const size_t m = 5, k = 4 * kSuperBlock;
  for (size_t n : {size_t(1), size_t(4), size_t(20)}) {
    Matrix w(v.format, m, k);
    for (size_t b = 0; b < m * k / kSuperBlock; ++b) {
      Spec sp;
      sp.d_bits = kernels::f16::FloatToHalf(b % 2 ? -1.0f : 1.0f);
      for (int& s : sp.s) s = (1 << tr.scale_bits) - 1;
      for (int& i : sp.idx) i = int(best);
      for (int g = 0; g < 32; ++g) {
        sp.sign[g] = tr.parity_signs ? WithParity(int(b + size_t(g)) % 128) : uint8_t(37 * g + b);
        sp.delta[g] = (g / (v.format == Format::kIQ1S ? 4 : 1)) % 2 ? -1 : 1;
      }
      w.Set(b, sp);
    }
    std::vector<float> x(n * k);
    for (size_t t = 0; t < n; ++t) {
      for (size_t c = 0; c < k; ++c) {
        const double wc = w.w[(t % m) * k + c];
        x[t * k + c] = wc < 0 ? -127.0f : 127.0f;
      }
    }
    Check(v, w, x, n, std::string(v.name) + " extremes n=" + std::to_string(n));
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, KQuantIq, ::testing::ValuesIn(GridKernels()),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           return name.substr(std::string("lutra_kquant_").size());
                         });

}  // namespace
}  // namespace lutra::kernels::kquant
