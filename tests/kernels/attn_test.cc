// Every attn variant against a double-precision reference: rows below/at/above the row blocks
// (1..17), head dims 20..128 (vector tails), position counts around every vector and key block
// boundary, fp16, fp32 and bf16 caches, key padding that holds NaN (a padded key reaching a
// stored score poisons it), values ending at a guard page (bf16: an odd count's unused half
// pair holds NaN), and output padding that must stay untouched.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/attn/attn.h"
#include "kernels/f16/convert.h"
#include "tests/kernels/registry_testing.h"
#include "tests/testing/float16_values.h"
#include "tests/testing/guarded_buffer.h"
#include "tests/testing/rng.h"
#include "tests/testing/variant_log.h"

namespace lutra::kernels::attn {
namespace {

using testing::Bf16Value;
using testing::GuardedBuffer;
using testing::Rng;

constexpr float kSentinel = -12345.0f;

template <typename T>
T Encode(float v);
template <>
float Encode<float>(float v) {
  return v;
}
template <>
uint16_t Encode<uint16_t>(float v) {
  return f16::FloatToHalf(v);
}
template <typename T>
double Decode(T v);
template <>
double Decode<float>(float v) {
  return v;
}
template <>
double Decode<uint16_t>(uint16_t v) {
  return f16::HalfToFloat(v);
}
template <typename T>
T Poison() {
  return Encode<T>(NAN);
}

bool SmallScale() {
  const char* scale = std::getenv("LUTRA_TEST_SCALE");
  return scale != nullptr && std::string(scale) == "small";
}

// Under emulation (LUTRA_TEST_SCALE=small) the double references dominate: fewer shapes, still
// covering every tail and block boundary of the widest variant.
std::vector<size_t> Counts() {
  if (SmallScale()) return {1, 7, 16, 17, 33, 64, 100};
  return {1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 64, 100, 511, 512, 513, 1030, 2048};
}
std::vector<size_t> Dims() {
  if (SmallScale()) return {20, 64, 128};
  return {20, 40, 64, 80, 128};
}
std::vector<size_t> Rows() {
  if (SmallScale()) return {1, 3, 4, 5, 8, 9};
  return {1, 2, 3, 4, 5, 8, 9, 17};
}

// One head of keys in the blocked layout (whole blocks stored, positions ≥ n poisoned with
// NaN: they may be read but must never reach a stored score), or of values position-major
// (exactly n rows, so a read past them hits the guard page).
template <typename T>
struct Keys {
  Keys(size_t d, size_t n, Rng& rng)
      : buf((n + kKeyBlock - 1) / kKeyBlock * kKeyBlock * d), d(d), n(n) {
    const size_t padded = (n + kKeyBlock - 1) / kKeyBlock * kKeyBlock;
    for (size_t p = 0; p < padded; ++p) {
      for (size_t t = 0; t < d; ++t) {
        buf.data()[Index(t, p)] = p < n ? Encode<T>(rng.Uniform(-1.0f, 1.0f)) : Poison<T>();
      }
    }
  }
  size_t Index(size_t t, size_t p) const {
    return p / kKeyBlock * kKeyBlock * d + t * kKeyBlock + p % kKeyBlock;
  }
  double at(size_t t, size_t p) const { return Decode(buf.data()[Index(t, p)]); }
  GuardedBuffer<T> buf;
  size_t d, n;
};

template <typename T>
struct Values {
  Values(size_t d, size_t n, Rng& rng) : buf(n * d), d(d) {
    for (size_t i = 0; i < n * d; ++i) buf.data()[i] = Encode<T>(rng.Uniform(-1.0f, 1.0f));
  }
  double at(size_t t, size_t p) const { return Decode(buf.data()[p * d + t]); }
  GuardedBuffer<T> buf;
  size_t d;
};

// KeysT / ValuesT: the cache layout under test (Keys<T>, Values<T>, or the bf16 pairs below);
// `rounding`: the relative error a kernel may add by rounding Q or P (0: none allowed).
template <typename KeysT, typename Fn>
void CheckQkOn(const Kernel<Fn>& k, const std::vector<size_t>& dims,
               const std::vector<size_t>& counts, const std::vector<size_t>& rows_list,
               double rounding, uint64_t seed) {
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  Rng rng(seed);
  for (size_t d : dims) {
    for (size_t n : counts) {
      for (size_t rows : rows_list) {
        const size_t qs = d + 3, ss = n + 2;
        KeysT kc(d, n, rng);
        std::vector<float> q(rows * qs);
        for (float& v : q) v = rng.Uniform(-1.0f, 1.0f);
        GuardedBuffer<float> s(rows * ss);
        std::fill(s.data(), s.data() + rows * ss, kSentinel);
        k.fn(rows, d, n, q.data(), qs, kc.buf.data(), s.data(), ss);
        for (size_t r = 0; r < rows; ++r) {
          for (size_t p = 0; p < n; ++p) {
            double ref = 0.0, mag = 0.0;
            for (size_t t = 0; t < d; ++t) {
              ref += double(q[r * qs + t]) * kc.at(t, p);
              mag += std::fabs(double(q[r * qs + t]) * kc.at(t, p));
            }
            // fp32 accumulation over d terms in any order: d·ε relative to Σ|q·k|.
            ASSERT_NEAR(s.data()[r * ss + p], ref, (rounding + d * 1.2e-7) * mag + 1e-6)
                << k.name << " d " << d << " n " << n << " rows " << rows << " r " << r << " p "
                << p;
          }
          for (size_t p = n; p < ss; ++p) ASSERT_EQ(s.data()[r * ss + p], kSentinel) << k.name;
        }
        ASSERT_TRUE(s.Intact()) << k.name;
      }
    }
  }
}

template <typename ValuesT, typename Fn>
void CheckPvOn(const Kernel<Fn>& k, const std::vector<size_t>& dims,
               const std::vector<size_t>& counts, const std::vector<size_t>& rows_list,
               double rounding, uint64_t seed) {
  LUTRA_REQUIRE_ISA(k.name, k.isa);
  Rng rng(seed);
  for (size_t d : dims) {
    for (size_t n : counts) {
      for (size_t rows : rows_list) {
        const size_t ps = n + 3, os = d + 2;
        ValuesT vc(d, n, rng);
        std::vector<float> p(rows * ps);
        for (float& v : p) v = rng.Uniform(0.0f, 1.0f);
        GuardedBuffer<float> o(rows * os);
        std::fill(o.data(), o.data() + rows * os, kSentinel);
        k.fn(rows, d, n, p.data(), ps, vc.buf.data(), o.data(), os);
        for (size_t r = 0; r < rows; ++r) {
          for (size_t t = 0; t < d; ++t) {
            double ref = 0.0, mag = 0.0;
            for (size_t i = 0; i < n; ++i) {
              ref += double(p[r * ps + i]) * vc.at(t, i);
              mag += std::fabs(double(p[r * ps + i]) * vc.at(t, i));
            }
            // fp32 accumulation of n terms: n·ε relative to Σ|p·v|.
            ASSERT_NEAR(o.data()[r * os + t], ref, (rounding + n * 1.2e-7) * mag + 1e-6)
                << k.name << " d " << d << " n " << n << " rows " << rows << " r " << r << " t "
                << t;
          }
          for (size_t t = d; t < os; ++t) ASSERT_EQ(o.data()[r * os + t], kSentinel) << k.name;
        }
        ASSERT_TRUE(o.Intact()) << k.name;
      }
    }
  }
}

template <typename T>
void CheckQk(const Kernel<QkFn<T>>& k) {
  CheckQkOn<Keys<T>>(k, Dims(), Counts(), Rows(), 0.0, 3);
}
template <typename T>
void CheckPv(const Kernel<PvFn<T>>& k) {
  CheckPvOn<Values<T>>(k, Dims(), Counts(), Rows(), 0.0, 5);
}

class QkF16Test : public ::testing::TestWithParam<Kernel<QkF16Fn>> {};
TEST_P(QkF16Test, MatchesDoubleReference) {
  CheckQk<uint16_t>(GetParam());
}
LUTRA_INSTANTIATE_REGISTRY(QkF16Test, QkF16Kernels());

class QkF32Test : public ::testing::TestWithParam<Kernel<QkF32Fn>> {};
TEST_P(QkF32Test, MatchesDoubleReference) {
  CheckQk<float>(GetParam());
}
LUTRA_INSTANTIATE_REGISTRY(QkF32Test, QkF32Kernels());

class PvF16Test : public ::testing::TestWithParam<Kernel<PvF16Fn>> {};
TEST_P(PvF16Test, MatchesDoubleReference) {
  CheckPv<uint16_t>(GetParam());
}
LUTRA_INSTANTIATE_REGISTRY(PvF16Test, PvF16Kernels());

class PvF32Test : public ::testing::TestWithParam<Kernel<PvF32Fn>> {};
TEST_P(PvF32Test, MatchesDoubleReference) {
  CheckPv<float>(GetParam());
}
LUTRA_INSTANTIATE_REGISTRY(PvF32Test, PvF32Kernels());

// bf16 caches: bits decoded by definition (the upper half of a float), layouts of attn.h.
uint16_t Bf16Bits(float f) {  // truncation: any bf16 value will do as test data
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof(bits));
  return uint16_t(bits >> 16);
}
constexpr uint16_t kBf16NaN = 0x7FC0;

struct Bf16Keys {
  Bf16Keys(size_t d, size_t n, Rng& rng)
      : buf((n + kKeyBlock - 1) / kKeyBlock * kKeyBlock * d), d(d) {
    const size_t padded = (n + kKeyBlock - 1) / kKeyBlock * kKeyBlock;
    for (size_t p = 0; p < padded; ++p) {
      for (size_t t = 0; t < d; ++t) {
        buf.data()[Index(t, p)] = p < n ? Bf16Bits(rng.Uniform(-1.0f, 1.0f)) : kBf16NaN;
      }
    }
  }
  size_t Index(size_t t, size_t p) const {
    return p / kKeyBlock * kKeyBlock * d + (t / 2) * 2 * kKeyBlock + (p % kKeyBlock) * 2 + t % 2;
  }
  double at(size_t t, size_t p) const { return Bf16Value(buf.data()[Index(t, p)]); }
  GuardedBuffer<uint16_t> buf;
  size_t d;
};

struct Bf16Values {  // ⌈n / 2⌉ whole pairs, so a read past them hits the guard page
  Bf16Values(size_t d, size_t n, Rng& rng) : buf((n + 1) / 2 * 2 * d), d(d) {
    for (size_t p = 0; p < (n + 1) / 2 * 2; ++p) {
      for (size_t t = 0; t < d; ++t) {
        buf.data()[Index(t, p)] = p < n ? Bf16Bits(rng.Uniform(-1.0f, 1.0f)) : kBf16NaN;
      }
    }
  }
  size_t Index(size_t t, size_t p) const { return (p / 2) * 2 * d + 2 * t + p % 2; }
  double at(size_t t, size_t p) const { return Bf16Value(buf.data()[Index(t, p)]); }
  GuardedBuffer<uint16_t> buf;
  size_t d;
};

// Kernels may round Q (and P) to bf16 first: u = 2⁻⁸ relative per element, on top of the
// fp32 accumulation (count·ε), both relative to Σ|q·k| (Σ|p·v|).
constexpr double kBf16Rounding = 1.0 / 256;

class QkBf16Test : public ::testing::TestWithParam<Kernel<QkBf16Fn>> {};
TEST_P(QkBf16Test, MatchesDoubleReference) {
  CheckQkOn<Bf16Keys>(GetParam(), Dims(), Counts(), Rows(), kBf16Rounding, 7);
}
// Heads longer than the kernels' Q staging (512 dimensions) are summed over slices.
TEST_P(QkBf16Test, LongHeads) {
  CheckQkOn<Bf16Keys>(GetParam(), {1040}, {7, 33}, {1, 9}, kBf16Rounding, 7);
}
LUTRA_INSTANTIATE_REGISTRY(QkBf16Test, QkBf16Kernels());

class PvBf16Test : public ::testing::TestWithParam<Kernel<PvBf16Fn>> {};
TEST_P(PvBf16Test, MatchesDoubleReference) {
  CheckPvOn<Bf16Values>(GetParam(), Dims(), Counts(), Rows(), kBf16Rounding, 9);
}
// Positions past the kernels' P staging (128 per chunk), odd and even; heads of several tiles.
TEST_P(PvBf16Test, LongRows) {
  CheckPvOn<Bf16Values>(GetParam(), {64, 200}, {127, 128, 129, 4097}, {1, 5}, kBf16Rounding, 9);
}
LUTRA_INSTANTIATE_REGISTRY(PvBf16Test, PvBf16Kernels());

// Name grammar: lutra_attn_<op>_<f16|f32|bf16>_u<unroll>__<level>, level = the descriptor's ISA.
TEST(AttnRegistry, NamesFollowTheGrammar) {
  for (const auto& k : QkF16Kernels()) testing::CheckUnrollName(k, "lutra_attn_qk_f16");
  for (const auto& k : QkF32Kernels()) testing::CheckUnrollName(k, "lutra_attn_qk_f32");
  for (const auto& k : PvF16Kernels()) testing::CheckUnrollName(k, "lutra_attn_pv_f16");
  for (const auto& k : PvF32Kernels()) testing::CheckUnrollName(k, "lutra_attn_pv_f32");
  for (const auto& k : QkBf16Kernels()) testing::CheckUnrollName(k, "lutra_attn_qk_bf16");
  for (const auto& k : PvBf16Kernels()) testing::CheckUnrollName(k, "lutra_attn_pv_bf16");
}

}  // namespace
}  // namespace lutra::kernels::attn
