// q4rows (Q4_0 repacked for sdot, four rows interleaved): Pack and Unpack are inverse, the
// activation quantizer keeps every value within half a step, and every registry variant
// matches a double-precision reference that decodes the ORIGINAL Q4_0 blocks (d·(q − 8), a
// decoder written here from the format's definition) times the fp32 activations. The
// tolerance is the activations' rounding (|x − s·a| ≤ s/2 per value, times |w|) plus fp32
// rounding of the block, span and row sums (Bound below). Extreme codes (all nibbles 0 or 15)
// against activations the quantizer represents exactly leave rounding alone, where a
// saturated int16 pair sum (NEON) or a wrong nibble sign would show.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/f16/convert.h"
#include "kernels/q4rows/q4rows.h"
#include "tests/kernels/lut_testing.h"
#include "tests/kernels/registry_testing.h"
#include "tests/testing/guarded_buffer.h"
#include "tests/testing/rng.h"
#include "tests/testing/variant_log.h"

namespace lutra::kernels::q4rows {

void PrintTo(const Kernels& k, std::ostream* os) {
  *os << k.name;
}

namespace {

using testing::GuardedBuffer;
using testing::Rng;

// A row-major Q4_0 matrix as a GGUF file stores it, and its decoding.
struct Q4_0Matrix {
  Q4_0Matrix(size_t m, size_t k) : m(m), k(k), bytes(m * k / kBlock * kQ4_0BlockBytes) {}
  uint8_t* Block(size_t r, size_t b) {
    return bytes.data() + (r * k / kBlock + b) * kQ4_0BlockBytes;
  }
  const uint8_t* Block(size_t r, size_t b) const {
    return bytes.data() + (r * k / kBlock + b) * kQ4_0BlockBytes;
  }
  void SetScale(size_t r, size_t b, float d) {
    const uint16_t h = f16::FloatToHalf(d);
    std::memcpy(Block(r, b), &h, 2);
  }
  void SetCode(size_t r, size_t c, int q) {
    uint8_t& byte = Block(r, c / kBlock)[2 + c % 16];
    byte = c % kBlock < 16 ? uint8_t((byte & 0xF0) | q) : uint8_t((byte & 0x0F) | q << 4);
  }
  // The format's definition: w = d·(q − 8), q_j = qs[j] & 15, q_j+16 = qs[j] >> 4.
  double Weight(size_t r, size_t c) const {
    const uint8_t* blk = Block(r, c / kBlock);
    uint16_t h;
    std::memcpy(&h, blk, 2);
    const size_t j = c % kBlock;
    const int q = j < 16 ? blk[2 + j] & 15 : blk[2 + j - 16] >> 4;
    return double(f16::HalfToFloat(h)) * (q - 8);
  }
  size_t m, k;
  std::vector<uint8_t> bytes;
};

Q4_0Matrix RandomMatrix(Rng& rng, size_t m, size_t k) {
  Q4_0Matrix w(m, k);
  for (auto& b : w.bytes) b = uint8_t(rng.Int(0, 255));
  for (size_t r = 0; r < m; ++r) {
    for (size_t b = 0; b < k / kBlock; ++b) w.SetScale(r, b, rng.Uniform(-0.05f, 0.05f));
  }
  return w;
}

struct Packed {
  Packed(const Q4_0Matrix& w) : m(w.m), k(w.k), bytes(PackedBytes(w.m, w.k)) {
    Pack(w.m, w.k, w.bytes.data(), bytes.data());
  }
  Weights view() const { return {m, k, bytes.data()}; }
  size_t m, k;
  GuardedBuffer<uint8_t> bytes;
};

struct QuantizedTokens {
  QuantizedTokens(size_t k, size_t n, const std::vector<float>& x) : q(n * k), scale(n * Spans(k)) {
    for (size_t t = 0; t < n; ++t) {
      Quantize(k, x.data() + t * k, q.data() + t * k, scale.data() + t * Spans(k));
    }
    view = {k, n, q.data(), scale.data()};
  }
  GuardedBuffer<int8_t> q;
  GuardedBuffer<float> scale;
  Activations view;
};

TEST(Q4Rows, PackUnpackRoundTrip) {
  Rng rng(5);
  for (size_t m : {1u, 3u, 4u, 5u, 8u, 9u, 15u}) {
    for (size_t k : {32u, 64u, 288u}) {
      const Q4_0Matrix w = RandomMatrix(rng, m, k);
      Packed p(w);
      // 72 bytes per block of four rows: the file's 18 per row, the padding rows included.
      EXPECT_EQ(p.bytes.size(), (m + 3) / 4 * 4 * k / kBlock * kQ4_0BlockBytes);
      std::vector<uint8_t> back(w.bytes.size(), 0xAA);
      Unpack(m, k, p.bytes.data(), back.data());
      EXPECT_EQ(back, w.bytes) << "m=" << m << " k=" << k;
      // Padding rows decode to d = 0.
      Q4_0Matrix padded(Groups(m) * kRows, k);
      Unpack(padded.m, k, p.bytes.data(), padded.bytes.data());
      for (size_t r = m; r < padded.m; ++r) {
        for (size_t c = 0; c < k; ++c) ASSERT_EQ(padded.Weight(r, c), 0.0) << r << " " << c;
      }
      ASSERT_TRUE(p.bytes.Intact());
    }
  }
}

TEST(Q4Rows, QuantizeKeepsHalfAStep) {
  Rng rng(3);
  const size_t k = 2 * kSpan + 3 * kBlock;  // a short last span
  std::vector<float> x(k);
  for (auto& v : x) v = rng.Normal(0.0f, 2.0f);
  x[kSpan + 9] = 1e4f;  // an outlier in the second span
  QuantizedTokens a(k, 1, x);
  ASSERT_EQ(Spans(k), 3u);
  for (size_t s = 0; s < Spans(k); ++s) {
    double amax = 0;
    for (size_t i = s * kSpan; i < std::min(k, (s + 1) * kSpan); ++i) {
      amax = std::max(amax, double(std::fabs(x[i])));
    }
    EXPECT_FLOAT_EQ(a.scale[s], float(amax / 127)) << s;
    for (size_t i = s * kSpan; i < std::min(k, (s + 1) * kSpan); ++i) {
      ASSERT_GE(a.q[i], -127) << i;
      ASSERT_LE(std::fabs(double(x[i]) - double(a.scale[s]) * a.q[i]),
                0.5 * a.scale[s] * (1 + 1e-6))
          << i;
    }
  }
  std::vector<float> zeros(64, 0.0f), nan(64, 1.0f);
  nan[5] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(QuantizedTokens(64, 1, zeros).scale[0], 0.0f);
  EXPECT_TRUE(std::isnan(QuantizedTokens(64, 1, nan).scale[0]));
}

TEST(Q4Rows, NamesAndSelection) {
  for (const Kernels& k : AllKernels()) {
    std::cmatch m;
    ASSERT_TRUE(
        testing::MatchName(k.name, "lutra_q4rows_gemm_r([0-9]+)t([0-9]+)__([a-z0-9]+)", k.isa, &m));
    EXPECT_EQ(std::stoul(m[1].str()), k.rows) << k.name;
    EXPECT_EQ(std::stoul(m[2].str()), k.tokens) << k.name;
    EXPECT_EQ(k.rows % kRows, 0u) << k.name;
  }
  EXPECT_EQ(AllKernels().back().isa, arch::kLevelScalar);
  EXPECT_EQ(Select(arch::kLevelScalar), &AllKernels().back());
}

// Σ_c w·x in double from the original blocks, and the error the kernels may make: the
// activation rounding (|w|·s/2 per value) plus fp32 rounding — each d·D and each span's
// s·(span sum) rounds once, and the sums over blocks and spans add at most (blocks + spans + 2)
// relative roundings of the magnitudes (a generous 2^-22 each).
void Reference(const Q4_0Matrix& w, const QuantizedTokens& a, const std::vector<float>& x, size_t r,
               size_t t, bool exact, double* value, double* bound) {
  const size_t spans = Spans(w.k), blocks = w.k / kBlock;
  double v = 0, quant = 0, magnitude = 0;
  for (size_t c = 0; c < w.k; ++c) {
    const double wt = w.Weight(r, c), s = a.scale[t * spans + c / kSpan];
    v += wt * x[t * w.k + c];
    quant += std::fabs(wt) * s * 0.5;
    magnitude += std::fabs(wt * s * a.q[t * w.k + c]);
  }
  *value = v;
  *bound = (exact ? 0.0 : quant * (1 + 1e-6)) +
           magnitude * double(blocks + spans + 2) * std::ldexp(1.0, -22) + 1e-30;
}

// Runs v on rows [0, m) in calls split at the given row boundaries (multiples of kRows, as the
// threaded driver splits) and checks every output against the reference and every row outside
// a call's range against being written. `exact`: the activations are exactly representable, so
// the bound is fp32 rounding alone.
void Check(const Kernels& v, const Q4_0Matrix& w, const std::vector<float>& x, size_t n,
           const std::vector<size_t>& splits, const std::string& where, bool exact = false) {
  Packed p(w);
  QuantizedTokens a(w.k, n, x);
  const size_t y_stride = w.m + 3;
  GuardedBuffer<float> y(n * y_stride);
  for (size_t i = 0; i < y.size(); ++i) y[i] = -7.0f;
  size_t begin = 0;
  for (size_t i = 0; i <= splits.size(); ++i) {
    const size_t end = i < splits.size() ? splits[i] : w.m;
    v.gemm(p.view(), a.view, begin, end, y.data(), y_stride);
    for (size_t t = 0; t < n; ++t) {
      for (size_t r = end; r < y_stride; ++r) {
        ASSERT_EQ(y[t * y_stride + r], -7.0f)
            << where << " call ending at " << end << " wrote row " << r;
      }
    }
    begin = end;
  }
  ASSERT_TRUE(y.Intact() && p.bytes.Intact() && a.q.Intact() && a.scale.Intact()) << where;
  for (size_t t = 0; t < n; ++t) {
    for (size_t r = 0; r < w.m; ++r) {
      double want, bound;
      Reference(w, a, x, r, t, exact, &want, &bound);
      ASSERT_NEAR(y[t * y_stride + r], want, bound) << where << " t=" << t << " row=" << r;
    }
  }
}

class Q4RowsVariant : public ::testing::TestWithParam<Kernels> {};

TEST_P(Q4RowsVariant, MatchesDequantizedReference) {
  const Kernels& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  const bool small = lut_testing::SmallScale();
  const std::vector<size_t> ms = small ? std::vector<size_t>{1, 5, 12, 13}
                                       : std::vector<size_t>{1, 3, 4, 5, 7, 8, 9, 12, 13, 16, 21};
  // Blocks per row: below, at and across a span (8 blocks), with short last spans.
  const std::vector<size_t> blocks_per_row =
      small ? std::vector<size_t>{1, 8, 9} : std::vector<size_t>{1, 2, 7, 8, 9, 16, 17, 35};
  const std::vector<size_t> ns =
      small ? std::vector<size_t>{1, 2, 5} : std::vector<size_t>{1, 2, 3, 4, 5, 7, 9};
  Rng rng(17);
  for (size_t m : ms) {
    for (size_t nb : blocks_per_row) {
      const size_t k = nb * kBlock;
      const Q4_0Matrix w = RandomMatrix(rng, m, k);
      for (size_t n : ns) {
        std::vector<float> x(n * k);
        for (auto& e : x) e = rng.Normal(0.0f, 1.0f);
        const std::string where = std::string(v.name) + " m=" + std::to_string(m) +
                                  " k=" + std::to_string(k) + " n=" + std::to_string(n);
        Check(v, w, x, n, {}, where);
        // Odd row ranges: one group alone, then a range of several groups, then the rest.
        if (m > 8) Check(v, w, x, n, {4, 8}, where + " split 4,8");
        if (m > 12) Check(v, w, x, n, {8, 12}, where + " split 8,12");
      }
    }
  }
}

// Activations the quantizer represents exactly (integers with ±127 in every span, so s = 1),
// weights at the code extremes (q = 0: −8·d, q = 15: 7·d) along whole rows with d = 1, 0.5:
// the largest |16·(q − 8)·a| int16 pair sums the NEON kernel forms (2·128·127) and every
// nibble's sign; the result is exact up to fp32 rounding of the sums.
TEST_P(Q4RowsVariant, ExtremeCodesStayExact) {
  const Kernels& v = GetParam();
  LUTRA_REQUIRE_ISA(v.name, v.isa);
  const size_t m = 13, n = 4, k = 3 * kSpan + 2 * kBlock;
  Q4_0Matrix w(m, k);
  for (size_t r = 0; r < m; ++r) {
    for (size_t c = 0; c < k; ++c) {
      const int patterns[] = {0, 15, c % 2 ? 0 : 15, int(c * 7 % 16)};
      w.SetCode(r, c, patterns[r % 4]);
    }
    for (size_t b = 0; b < k / kBlock; ++b) w.SetScale(r, b, r % 3 == 2 ? -0.5f : 1.0f);
  }
  std::vector<float> x(n * k);
  for (size_t c = 0; c < k; ++c) {
    const bool first = c % kSpan == 0;
    x[0 * k + c] = -127.0f;
    x[1 * k + c] = 127.0f;
    x[2 * k + c] = c % 2 ? -127.0f : 127.0f;
    x[3 * k + c] = first ? 127.0f : float(int(c * 37 % 255) - 127);
  }
  Check(v, w, x, n, {4}, std::string(v.name) + " extremes", /*exact=*/true);
}

INSTANTIATE_TEST_SUITE_P(Registry, Q4RowsVariant, ::testing::ValuesIn(AllKernels()),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           return name.substr(name.rfind('_') + 1);
                         });

}  // namespace
}  // namespace lutra::kernels::q4rows
