// Q4_1, Q5_0, Q5_1, the k-quants Q2_K..Q6_K and IQ4_NL, IQ4_XS: blocks encoded here from random
// codes, scales and mins, in the order a quantizer writes them (each field packed as ggml's
// quantize functions pack it, not as the decoder reads it), then decoded by DequantizeRows,
// multiplied by the Linear that PlanLinear chooses, and checked for non-finite scales. The
// expected weights follow the formulas of kquant_formats.h, evaluated in float in the same
// order as ggml's dequantizers, so a misplaced bit or field shows as a wrong weight.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <vector>

#include "arch/detect.h"
#include "engine/src/formats/finite_check.h"
#include "engine/src/formats/kquant_formats.h"
#include "engine/src/gguf/lutra_types.h"
#include "engine/src/linear/linear.h"
#include "engine/src/linear/saved_linear.h"
#include "engine/src/memory/huge_page_arena.h"
#include "kernels/f16/convert.h"
#include "tests/engine/int8_block_bound.h"
#include "tests/testing/rng.h"

namespace lutra::engine::formats {

using linear::DequantizeRows;
using linear::MakeLinearScratch;
using linear::PlanLinear;
using linear::PlanOptions;
namespace {

using gguf::TensorType;
using testing::Rng;

struct Encoded {
  std::vector<uint8_t> bytes;
  std::vector<float> weights;
  std::vector<float> group_scale;  // Q4_1, Q4_K: the step of every 32 weights
  gguf::TensorInfo info;
};

// A random fp16 value in [lo, hi), as the float it stands for and its bits.
struct Half {
  float value;
  uint16_t bits;
};
Half RandomHalf(Rng& rng, float lo, float hi) {
  const uint16_t h = kernels::f16::FloatToHalf(rng.Uniform(lo, hi));
  return {kernels::f16::HalfToFloat(h), h};
}

void PutHalf(uint8_t* p, Half h) {
  p[0] = uint8_t(h.bits & 255);
  p[1] = uint8_t(h.bits >> 8);
}

// One block of `type` at `b` (zeroed, KQuantFormatOf(type).bytes long); appends its weights.
void EncodeBlock(TensorType type, Rng& rng, uint8_t* b, std::vector<float>& w,
                 std::vector<float>& group_scale) {
  switch (type) {
    case TensorType::Q4_1:
    case TensorType::Q5_0:
    case TensorType::Q5_1: {
      const bool five = type != TensorType::Q4_1, with_min = type != TensorType::Q5_0;
      const Half d = RandomHalf(rng, 0.001f, 0.02f), m = RandomHalf(rng, -0.2f, 0.0f);
      PutHalf(b, d);
      if (with_min) PutHalf(b + 2, m);
      uint8_t* qh = b + (with_min ? 4 : 2);
      uint8_t* qs = five ? qh + 4 : b + 4;
      int q[32];
      for (int& v : q) v = rng.Int(0, five ? 31 : 15);
      uint32_t high = 0;
      for (int j = 0; j < 16; ++j) {
        qs[j] = uint8_t((q[j] & 15) | ((q[j + 16] & 15) << 4));
        high |= uint32_t(q[j] >> 4) << j;
        high |= uint32_t(q[j + 16] >> 4) << (j + 16);
      }
      if (five) std::memcpy(qh, &high, 4);
      group_scale.push_back(d.value);
      for (int j = 0; j < 32; ++j) {
        w.push_back(with_min ? q[j] * d.value + m.value : float(q[j] - 16) * d.value);
      }
      return;
    }
    case TensorType::Q2_K: {
      int L[256], sc[16], mn[16];
      for (int& v : L) v = rng.Int(0, 3);
      for (int j = 0; j < 16; ++j) sc[j] = rng.Int(0, 15), mn[j] = rng.Int(0, 15);
      const Half d = RandomHalf(rng, 0.001f, 0.01f), dmin = RandomHalf(rng, 0.0f, 0.01f);
      for (int j = 0; j < 16; ++j) b[j] = uint8_t(sc[j] | (mn[j] << 4));
      uint8_t* q = b + 16;
      for (int j = 0; j < 256; j += 128, q += 32) {
        for (int l = 0; l < 32; ++l) {
          q[l] = uint8_t(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) |
                         (L[j + l + 96] << 6));
        }
      }
      PutHalf(b + 80, d), PutHalf(b + 82, dmin);
      for (int i = 0; i < 256; ++i) {
        const float dl = d.value * float(sc[i / 16]), ml = dmin.value * float(mn[i / 16]);
        w.push_back(dl * float(L[i]) - ml);
      }
      return;
    }
    case TensorType::Q3_K: {
      int L[256], ls[16];
      for (int& v : L) v = rng.Int(0, 7);  // q + 4
      for (int& v : ls) v = rng.Int(0, 63);
      const Half d = RandomHalf(rng, 0.0005f, 0.005f);
      uint8_t* hmask = b;
      uint8_t* qs = b + 32;
      uint8_t* scales = b + 96;
      for (int j = 0; j < 16; ++j) {
        if (j < 8) {
          scales[j] = uint8_t(ls[j] & 15);
        } else {
          scales[j - 8] |= uint8_t((ls[j] & 15) << 4);
        }
        scales[j % 4 + 8] |= uint8_t((ls[j] >> 4) << (2 * (j / 4)));
      }
      int low[256];
      for (int j = 0; j < 256; ++j) {
        low[j] = L[j] & 3;
        if (L[j] > 3) hmask[j % 32] |= uint8_t(1 << (j / 32));
      }
      for (int j = 0; j < 256; j += 128, qs += 32) {
        for (int l = 0; l < 32; ++l) {
          qs[l] = uint8_t(low[j + l] | (low[j + l + 32] << 2) | (low[j + l + 64] << 4) |
                          (low[j + l + 96] << 6));
        }
      }
      PutHalf(b + 108, d);
      for (int i = 0; i < 256; ++i) w.push_back(d.value * float(ls[i / 16] - 32) * float(L[i] - 4));
      return;
    }
    case TensorType::Q4_K:
    case TensorType::Q5_K: {
      const bool five = type == TensorType::Q5_K;
      int L[256], ls[8], lm[8];
      for (int& v : L) v = rng.Int(0, five ? 31 : 15);
      for (int j = 0; j < 8; ++j) ls[j] = rng.Int(0, 63), lm[j] = rng.Int(0, 63);
      const Half d = RandomHalf(rng, 0.0002f, 0.002f), dmin = RandomHalf(rng, 0.0f, 0.002f);
      PutHalf(b, d), PutHalf(b + 2, dmin);
      uint8_t* scales = b + 4;
      for (int j = 0; j < 8; ++j) {
        if (j < 4) {
          scales[j] = uint8_t(ls[j]);
          scales[j + 4] = uint8_t(lm[j]);
        } else {
          scales[j + 4] = uint8_t((ls[j] & 15) | ((lm[j] & 15) << 4));
          scales[j - 4] |= uint8_t((ls[j] >> 4) << 6);
          scales[j] |= uint8_t((lm[j] >> 4) << 6);
        }
      }
      uint8_t* qh = b + 16;
      uint8_t* q = b + (five ? 48 : 16);
      for (int n = 0, m1 = 1, m2 = 2; n < 256; n += 64, q += 32, m1 <<= 2, m2 <<= 2) {
        for (int l = 0; l < 32; ++l) {
          int l1 = L[n + l], l2 = L[n + l + 32];
          if (l1 > 15) l1 -= 16, qh[l] |= uint8_t(m1);
          if (l2 > 15) l2 -= 16, qh[l] |= uint8_t(m2);
          q[l] = uint8_t(l1 | (l2 << 4));
        }
      }
      for (int j = 0; j < 8; ++j) group_scale.push_back(d.value * float(ls[j]));
      for (int i = 0; i < 256; ++i) {
        const float ds = d.value * float(ls[i / 32]), dm = dmin.value * float(lm[i / 32]);
        w.push_back(ds * float(L[i]) - dm);
      }
      return;
    }
    case TensorType::Q6_K: {
      int L[256], sc[16];
      for (int& v : L) v = rng.Int(0, 63);  // q + 32
      for (int& v : sc) v = rng.Int(-128, 127);
      const Half d = RandomHalf(rng, 0.00005f, 0.0005f);
      uint8_t* ql = b;
      uint8_t* qh = b + 128;
      for (int j = 0; j < 256; j += 128, ql += 64, qh += 32) {
        for (int l = 0; l < 32; ++l) {
          const int q1 = L[j + l], q2 = L[j + l + 32], q3 = L[j + l + 64], q4 = L[j + l + 96];
          ql[l] = uint8_t((q1 & 15) | ((q3 & 15) << 4));
          ql[l + 32] = uint8_t((q2 & 15) | ((q4 & 15) << 4));
          qh[l] = uint8_t((q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6));
        }
      }
      for (int j = 0; j < 16; ++j) b[192 + j] = uint8_t(int8_t(sc[j]));
      PutHalf(b + 208, d);
      for (int i = 0; i < 256; ++i) w.push_back(d.value * float(sc[i / 16]) * float(L[i] - 32));
      return;
    }
    case TensorType::IQ4_NL:
    case TensorType::IQ4_XS: {
      // llama.cpp's kvalues_iq4nl; quantize_row_iq4_nl_impl packs weight 32i + j (j < 16) in the
      // low nibble of qs[16i + j] and 32i + 16 + j in its high nibble, and IQ4_XS's scale l + 32
      // of sub-block i as nibble i % 2 of scales_l[i / 2] and bits 2i..2i+1 of scales_h.
      static constexpr int kValues[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                          1,    13,   25,  38,  53,  69,  89,  113};
      const bool xs = type == TensorType::IQ4_XS;
      const int n = xs ? 256 : 32;
      int L[256], l[8] = {};
      for (int i = 0; i < n; ++i) L[i] = rng.Int(0, 15);
      const Half d = RandomHalf(rng, -0.0005f, 0.0005f);
      PutHalf(b, d);
      uint8_t* qs = b + (xs ? 8 : 2);
      if (xs) {
        uint16_t scales_h = 0;
        for (int i = 0; i < 8; ++i) {
          l[i] = rng.Int(-32, 31);
          const int v = l[i] + 32;
          b[4 + i / 2] |= uint8_t((v & 15) << (4 * (i % 2)));
          scales_h |= uint16_t((v >> 4) << (2 * i));
        }
        b[2] = uint8_t(scales_h & 255), b[3] = uint8_t(scales_h >> 8);
      }
      for (int i = 0; i < n / 32; ++i) {
        for (int j = 0; j < 16; ++j) {
          qs[16 * i + j] = uint8_t(L[32 * i + j] | (L[32 * i + 16 + j] << 4));
        }
      }
      for (int i = 0; i < n; ++i) {
        const float dl = xs ? d.value * float(l[i / 32]) : d.value;
        w.push_back(dl * float(kValues[L[i]]));
      }
      return;
    }
    default:
      ADD_FAILURE() << "no encoder for type " << int(type);
  }
}

Encoded Encode(TensorType type, size_t rows, size_t cols, Rng& rng) {
  const KQuantFormat f = KQuantFormatOf(type);
  Encoded e;
  const size_t blocks = rows * cols / f.weights;
  e.bytes.assign(blocks * f.bytes, 0);
  for (size_t i = 0; i < blocks; ++i)
    EncodeBlock(type, rng, e.bytes.data() + i * f.bytes, e.weights, e.group_scale);
  e.info.name = "blk.0.ffn_down.weight";
  e.info.type = type;
  e.info.shape = {cols, rows};
  e.info.n_elements = rows * cols;
  e.info.n_bytes = e.bytes.size();
  e.info.data = e.bytes.data();
  return e;
}

const TensorType kTypes[] = {
    TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1, TensorType::Q2_K,   TensorType::Q3_K,
    TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K, TensorType::IQ4_NL, TensorType::IQ4_XS};

TEST(KQuantFormats, DequantizeRowsGivesTheEncodedWeights) {
  Rng rng(21);
  for (TensorType type : kTypes) {
    const size_t rows = 6, cols = 512;
    Encoded e = Encode(type, rows, cols, rng);
    std::vector<float> out(3 * cols);
    ASSERT_TRUE(DequantizeRows(e.info, 2, 3, out.data()).ok()) << int(type);
    for (size_t i = 0; i < out.size(); ++i) {
      const float want = e.weights[2 * cols + i];
      // Same float operations as the formulas: equal up to contraction into an FMA.
      ASSERT_NEAR(out[i], want, 1e-6f * std::fabs(want) + 1e-9f)
          << gguf::TensorTypeName(uint32_t(type)) << " weight " << i;
    }
  }
}

// Every format's integer codes (the LUT and q8block paths' input): in the format's code
// range, and scale·q − min gives back the encoded weights.
TEST(KQuantFormats, CodesReproduceTheWeights) {
  Rng rng(22);
  for (TensorType type : kTypes) {
    const std::string name = gguf::TensorTypeName(uint32_t(type));
    Encoded e = Encode(type, 2, 512, rng);
    const size_t sub = CodeBlock(type);
    ASSERT_TRUE(sub == 16 || sub == 32) << name;
    int lo = 0, hi = 0;
    switch (type) {
      case TensorType::Q5_0:
        lo = -16, hi = 15;
        break;
      case TensorType::Q3_K:
        lo = -4, hi = 3;
        break;
      case TensorType::Q6_K:
        lo = -32, hi = 31;
        break;
      case TensorType::Q2_K:
        lo = 0, hi = 3;
        break;
      case TensorType::Q4_1:
      case TensorType::Q4_K:
        lo = 0, hi = 15;
        break;
      case TensorType::IQ4_NL:
      case TensorType::IQ4_XS:
        lo = -127, hi = 113;
        break;
      default:
        lo = 0, hi = 31;
        break;  // Q5_1, Q5_K
    }
    std::vector<int8_t> codes(e.weights.size());
    std::vector<float> scales(e.weights.size() / sub), mins(e.weights.size() / sub, 99.0f);
    DecodeKQuantCodes(type, e.bytes.data(), e.weights.size() / KQuantFormatOf(type).weights,
                      codes.data(), scales.data(), mins.data());
    for (size_t i = 0; i < e.weights.size(); ++i) {
      ASSERT_GE(codes[i], lo) << name << " weight " << i;
      ASSERT_LE(codes[i], hi) << name << " weight " << i;
      if (!CodesHaveMin(type)) {
        ASSERT_EQ(mins[i / sub], 0.0f) << name;
      }
      ASSERT_NEAR(scales[i / sub] * float(codes[i]) - mins[i / sub], e.weights[i],
                  1e-6f * std::fabs(e.weights[i]) + 1e-9f)
          << name << " weight " << i;
    }
  }
}

bool Lut(TensorType t) {
  return t == TensorType::Q4_1;
}
// Multiplied on the file's own blocks by the kquant kernels, activations int8 per 256 (Q5_0,
// IQ4_NL: per 32, their block).
bool InPlace(TensorType t) {
  return t == TensorType::Q4_K || t == TensorType::Q6_K || t == TensorType::Q5_K ||
         t == TensorType::Q3_K || t == TensorType::Q2_K || t == TensorType::Q5_0 ||
         t == TensorType::IQ4_NL || t == TensorType::IQ4_XS;
}
size_t InPlaceActivationBlock(TensorType t) {
  return t == TensorType::Q5_0 || t == TensorType::IQ4_NL ? 32 : 256;
}

// Q4_1 goes to the lookup kernels with its min in the packed bias, Q5_1 becomes q8block's int8
// codes, the others stay in the file's blocks (kquant): one-hot activations are
// exact in the table quantization and in every int8 activation block, so Wᵀ must come out up
// to fp32 rounding.
TEST(KQuantFormats, EveryPathReproducesEveryWeight) {
  Rng rng(25);
  ThreadPool pool(2);
  auto scratch = MakeLinearScratch();
  PlanOptions options;
  options.kernels = &lutra::engine::KernelConfig::For(arch::Process().features);
  for (TensorType type : kTypes) {
    const size_t rows = 40, cols = 256;
    Encoded e = Encode(type, rows, cols, rng);
    auto linear = PlanLinear(e.info, options);
    ASSERT_TRUE(linear.ok()) << linear.error();
    const char* path = Lut(type)       ? "lutgemm"
                       : InPlace(type) ? "mapped, lutra_kquant"
                                       : "int8 codes";
    EXPECT_NE((*linear)->Describe().find(path), std::string::npos) << (*linear)->Describe();
    // Memory: at most a byte per weight plus a scale and a min per 16; none for the blocks
    // used in place.
    EXPECT_LE((*linear)->OwnedBytes(), InPlace(type) ? 0 : rows * cols * 3 / 2 + 64)
        << (*linear)->Describe();
    std::vector<float> x(cols * cols, 0.0f), y(cols * rows);
    for (size_t c = 0; c < cols; ++c) x[c * cols + c] = 1.0f;
    ASSERT_TRUE((*linear)->Forward(cols, x.data(), y.data(), pool, *scratch).ok());
    for (size_t c = 0; c < cols; ++c) {
      for (size_t r = 0; r < rows; ++r) {
        const float want = e.weights[r * cols + c];
        ASSERT_NEAR(y[c * rows + r], want, 1e-5 * std::fabs(want) + 1e-6)
            << (*linear)->Describe() << " row " << r << " col " << c;
      }
    }
  }
}

// Random activations, decode (n = 1) and a batch, against a double reference over the
// encoded weights. Both paths round in fp32 (1e-5 of Σ|w·x|); the lookup path adds the table
// quantization bound per group, 2·s·15·8·λ with λ the largest quad Σ|x| / 127 (as in
// model_linear_test.cc, from docs/lut-format.md §2), the q8block path its int8 activation
// rounding per sub-block, the kquant path the same per 256 (int8_block_bound.h).
TEST(KQuantFormats, LinearMatchesDoubleReference) {
  Rng rng(23);
  ThreadPool pool(2);
  auto scratch = MakeLinearScratch();
  PlanOptions options;
  options.kernels = &lutra::engine::KernelConfig::For(arch::Process().features);
  for (TensorType type : kTypes) {
    const size_t rows = 24, cols = 768;
    Encoded e = Encode(type, rows, cols, rng);
    auto linear = PlanLinear(e.info, options);
    ASSERT_TRUE(linear.ok()) << linear.error();
    for (size_t n : {1u, 5u, 20u}) {  // 20: the kquant kernels' many-token path
      std::vector<float> x(n * cols), y(n * rows);
      for (float& v : x) v = rng.Normal(0.0f, 1.0f);
      ASSERT_TRUE((*linear)->Forward(n, x.data(), y.data(), pool, *scratch).ok());
      for (size_t t = 0; t < n; ++t) {
        for (size_t r = 0; r < rows; ++r) {
          double ref = 0.0, mag = 0.0;
          for (size_t c = 0; c < cols; ++c) {
            const double p = double(e.weights[r * cols + c]) * x[t * cols + c];
            ref += p, mag += std::fabs(p);
          }
          double tol = 1e-5 * mag + 1e-6;
          if (Lut(type)) {
            const float* xt = x.data() + t * cols;
            for (size_t g = 0; g < cols / 32; ++g) {
              double lambda = 0.0;
              for (size_t j = 0; j < 8; ++j) {
                double a = 0.0;
                for (size_t u = 0; u < 4; ++u) a += std::fabs(xt[g * 32 + 4 * j + u]);
                lambda = std::max(lambda, a / 127.0);
              }
              tol += 2.0 * e.group_scale[(r * cols) / 32 + g] * 15.0 * 8.0 * lambda;
            }
          } else {
            tol += testing::Int8BlockRoundingBound(
                e.weights.data() + r * cols, x.data() + t * cols, cols,
                InPlace(type) ? InPlaceActivationBlock(type) : CodeBlock(type));
          }
          ASSERT_NEAR(y[t * rows + r], ref, tol)
              << (*linear)->Describe() << " n " << n << " row " << r;
        }
      }
    }
  }
}

// The repacks of Q4_1 (lookup) and Q2_K, Q3_K, Q5_K (q8block) are what the repack cache keeps
// of them: the saved arrays, copied as the cache's reader would hand them back, restore an
// operator with the same outputs; Q4_K and Q6_K own nothing and save nothing.
TEST(KQuantFormats, SavedRepacksRestoreTheSameOperator) {
  Rng rng(26);
  ThreadPool pool(2);
  auto scratch = MakeLinearScratch();
  PlanOptions options;
  options.kernels = &lutra::engine::KernelConfig::For(arch::Process().features);
  for (TensorType type : kTypes) {
    const size_t rows = 20, cols = 512;
    Encoded e = Encode(type, rows, cols, rng);
    auto linear = PlanLinear(e.info, options);
    ASSERT_TRUE(linear.ok()) << linear.error();
    std::optional<linear::SavedLinear> saved = (*linear)->Save();
    // Q5_0 and Q5_1 repack at memory speed: not worth a copy on disk either.
    if (InPlace(type) || type == TensorType::Q5_0 || type == TensorType::Q5_1) {
      EXPECT_FALSE(saved.has_value()) << (*linear)->Describe();
      continue;
    }
    ASSERT_TRUE(saved.has_value()) << (*linear)->Describe();
    linear::RestoredLinear restored{saved->kind, saved->descriptor, {}};
    for (const linear::SavedArray& a : saved->arrays) {
      std::shared_ptr<uint8_t> copy(
          static_cast<uint8_t*>(::operator new(a.bytes, std::align_val_t(64))),
          [](uint8_t* p) { ::operator delete(p, std::align_val_t(64)); });
      std::memcpy(copy.get(), a.data, a.bytes);
      restored.arrays.push_back({copy, a.bytes});
    }
    auto again = linear::RestoreLinear(e.info, restored, options);
    ASSERT_TRUE(again.ok()) << again.error();
    const size_t n = 3;
    std::vector<float> x(n * cols), want(n * rows), got(n * rows);
    for (float& v : x) v = rng.Normal(0.0f, 1.0f);
    ASSERT_TRUE((*linear)->Forward(n, x.data(), want.data(), pool, *scratch).ok());
    ASSERT_TRUE((*again)->Forward(n, x.data(), got.data(), pool, *scratch).ok());
    EXPECT_EQ(got, want) << (*linear)->Describe();
  }
}

// With an arena and copy_in_place (as a model's WeightStore gives when the kernel has
// transparent huge pages and memory to spare), a matrix used in place is copied into huge pages:
// the same results bit for bit as the mapped bytes, owned (so the file's pages can be dropped), and
// independent of the source afterwards. Without THP it stays mapped.
TEST(KQuantFormats, InPlaceMatricesCopyIntoHugePages) {
  Rng rng(27);
  ThreadPool pool(2);
  auto scratch = MakeLinearScratch();
  const bool thp = memory::TransparentHugePagesAvailable();
  PlanOptions mapped;
  mapped.kernels = &lutra::engine::KernelConfig::For(arch::Process().features);
  memory::HugePageArena arena;
  PlanOptions copied = mapped;
  copied.arena = &arena;
  copied.copy_in_place = thp;
  copied.pool = &pool;
  size_t consumed = 0;
  copied.consumed = [&](const uint8_t*, size_t bytes) { consumed += bytes; };
  for (TensorType type : {TensorType::Q4_K, TensorType::Q6_K, TensorType::IQ4_XS}) {
    const size_t rows = 24, cols = 512;
    Encoded e = Encode(type, rows, cols, rng);
    auto a = PlanLinear(e.info, mapped);
    consumed = 0;
    auto b = PlanLinear(e.info, copied);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ((*a)->OwnedBytes(), 0u) << (*a)->Describe();
    EXPECT_EQ((*b)->OwnedBytes(), thp ? e.bytes.size() : 0u) << (*b)->Describe();
    EXPECT_EQ(consumed, thp ? e.bytes.size() : 0u) << (*b)->Describe();
    EXPECT_NE((*b)->Describe().find(thp ? "in huge pages" : "mapped"), std::string::npos)
        << (*b)->Describe();
    const size_t n = 3;
    std::vector<float> x(n * cols), want(n * rows), got(n * rows);
    for (float& v : x) v = rng.Normal(0.0f, 1.0f);
    ASSERT_TRUE((*a)->Forward(n, x.data(), want.data(), pool, *scratch).ok());
    if (thp) std::fill(e.bytes.begin(), e.bytes.end(), uint8_t{0});  // the copy stands alone
    ASSERT_TRUE((*b)->Forward(n, x.data(), got.data(), pool, *scratch).ok());
    EXPECT_EQ(got, want) << (*b)->Describe();
  }
}

TEST(KQuantFormats, NonFiniteScaleOrMinIsNamed) {
  Rng rng(24);
  for (TensorType type : kTypes) {
    const KQuantFormat f = KQuantFormatOf(type);
    for (int field = 0; field < 2; ++field) {
      if (f.fp16_fields[field] == SIZE_MAX) continue;
      Encoded e = Encode(type, 2, 512, rng);
      EXPECT_FALSE(FindNonFinite(e.info).has_value()) << int(type);
      const size_t block = 3;
      uint8_t* p = e.bytes.data() + block * f.bytes + f.fp16_fields[field];
      p[0] = 0x00, p[1] = 0x7e;  // fp16 NaN
      auto found = FindNonFinite(e.info);
      ASSERT_TRUE(found.has_value()) << int(type) << " field " << field;
      EXPECT_NE(found->find("block 3"), std::string::npos) << *found;
      EXPECT_NE(found->find(field == 0 ? "scale NaN" : "min NaN"), std::string::npos) << *found;
    }
  }
}

}  // namespace
}  // namespace lutra::engine::formats
