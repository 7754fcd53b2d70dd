// lutra-arm-model: runs one registered kernel variant on synthetic data for the ARM cycle model
// (bench/arm-model/run.sh). The variants come from the kernel registries, not from a list here:
// every entry whose features are ARM features (and, with `list all`, the scalar ones) is a
// case, plus the dequantize-then-dot baseline of the kernel benchmark.
//
//   lutra-arm-model list [all]      one line per case: name, needed features, unit, units,
//                                   streamed bytes per unit (weights or K/V elements)
//   lutra-arm-model run NAME REPS   sets the case up, then calls the kernel REPS times
//
// The model runs each case with REPS = 1 and REPS = 3 under qemu and halves the difference of
// the two block profiles, so data generation and packing drop out without naming functions.
// Data is random: none of these kernels branches on data values (the exact paths are exact for
// any data; scales are set to finite values so no float path takes a slow NaN route).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "arch/isa.h"
#include "bench/common/dequant_dot.h"
#include "kernels/attn/attn.h"
#include "kernels/kquant/kquant.h"
#include "kernels/lutbuild/lutbuild.h"
#include "kernels/lutgemm/lutgemm.h"
#include "kernels/q4rows/q4rows.h"
#include "kernels/q8block/q8block.h"
#include "kernels/softmax2p/softmax2p.h"
#include "kernels/ternary2/ternary2.h"
#include "kernels/ternary3/ternary3.h"

namespace lutra::bench {
namespace {

namespace lg = kernels::lutgemm;
namespace pw = kernels::packw;

// The GEMV of the model: one decode step through a 4096×4096 projection by default
// (LUTRA_ARM_MODEL_M / _K override; the figures are per 256 weights, so M only sets the
// averaging).
size_t EnvSize(const char* name, size_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::strtoul(v, nullptr, 10) : fallback;
}
const size_t kM = EnvSize("LUTRA_ARM_MODEL_M", 1024);
const size_t kK = EnvSize("LUTRA_ARM_MODEL_K", 4096);
constexpr size_t kSeqLen = 1024;  // attention positions and softmax length
constexpr size_t kHeadDim = 64, kGqaRows = 8;

constexpr arch::IsaSet kArmFeatures =
    arch::kNEON | arch::kNEONFP16 | arch::kDOTPROD | arch::kI8MM | arch::kSVE;

std::vector<uint8_t> Random(size_t n, uint32_t seed = 12345) {
  std::vector<uint8_t> v(n + 64);
  uint32_t s = seed;
  for (auto& b : v) b = uint8_t((s = s * 1664525u + 1013904223u) >> 24);
  return v;
}
std::vector<float> RandomFloats(size_t n, uint32_t seed = 777) {
  std::vector<float> v(n);
  uint32_t s = seed;
  for (auto& f : v) f = float(int32_t((s = s * 1664525u + 1013904223u) >> 8) % 2001 - 1000) / 500;
  return v;
}
// fp16 values in [−1, 1) (finite, so no NaN path).
std::vector<uint16_t> RandomHalves(size_t n) {
  std::vector<uint16_t> v(n);
  uint32_t s = 99;
  for (auto& h : v) h = uint16_t(((s = s * 1664525u + 1013904223u) >> 16) & 0xBBFF);
  return v;
}

struct Case {
  std::string name;
  arch::IsaSet isa;
  const char* unit;                              // what "per 256" counts
  double units;                                  // units per kernel call
  double bytes_per_unit;                         // streamed bytes (weights / cache) per unit
  std::function<std::function<void()>()> setup;  // returns the call
};

bool Wanted(arch::IsaSet isa, bool all) {
  return (isa & kArmFeatures) != 0 || (all && isa == arch::kLevelScalar);
}

// lutgemm: the configuration each bit width has in real files. b = 2 quantized: 2-bit G128
// with z = 1 (ternary rows on fp32 activations); b = 4: Q4_0 repacked (G32, z = 8); b = 1, 3:
// G128 with the middle zero point. Exact (a8) variants: one scale per row (BitNet ternary for
// b = 2, uniform_scale), z = 2^(b−1) (z = 1 at b = 2).
void AddLutgemm(std::vector<Case>& cases, bool all) {
  for (const lg::GemmKernel& kern : lg::GemmKernels()) {
    if (!Wanted(kern.isa, all)) continue;
    const lg::GemmKernel* kp = &kern;
    const uint32_t bits = kern.bits, group = bits == 4 && !kern.exact ? 32 : 128;
    const pw::Shape s{kM, kK, bits, group, true};
    const bool uniform = kern.exact;
    const double bytes = double(pw::BitsBytes(s)) + (uniform ? 4.0 * kM : 4.0 * pw::ScaleCount(s));
    cases.push_back({kern.name, kern.isa, "weight", double(kM * kK), bytes / double(kM * kK),
                     [kp, s, uniform, bits] {
                       struct State {
                         std::vector<uint8_t> bits, lut;
                         std::vector<float> scale, bias, tscale, tsum, y;
                         lg::Weights w;
                         lg::Tables t;
                       };
                       auto st = std::make_shared<State>();
                       st->bits = Random(pw::BitsBytes(s));
                       st->scale.assign(pw::ScaleCount(s), 0.01f);
                       st->bias.assign(pw::ScaleCount(s), 0.0f);
                       st->w.shape = s;
                       st->w.data = {st->bits.data(), st->scale.data(), st->bias.data(), nullptr};
                       st->w.uniform_scale = uniform;
                       st->w.zero_point = bits == 4 && !kp->exact ? 8 : int32_t(1u << (bits - 1));
                       if (bits == 2) st->w.zero_point = 1;
                       st->w.order = kp->order;
                       const size_t pk = pw::PaddedK(s), groups = pw::Groups(s);
                       const size_t per_token = kp->input == lg::Input::kExactTables ? pk / 4 * 32
                                                : kp->input == lg::Input::kTables    ? pk / 4 * 16
                                                                                     : pk;
                       st->lut = Random(per_token);
                       st->tscale.assign(groups, 0.02f);
                       st->tsum.assign(groups, 1.0f);
                       st->y.resize(s.m);
                       st->t = {st->lut.data(),    per_token,       pk / 4 * 16,
                                st->tscale.data(), st->tsum.data(), groups};
                       return std::function<void()>([st, kp, s] {
                         kp->fn(st->w, st->t, 1, 0, pw::Tiles(s), st->y.data(), s.m);
                       });
                     }});
  }
}

void AddTernary3(std::vector<Case>& cases, bool all) {
  namespace t3 = kernels::ternary3;
  for (const t3::Kernels& kern : t3::AllKernels()) {
    if (!Wanted(kern.isa, all)) continue;
    const t3::Kernels* kp = &kern;
    const std::string base = kern.name;
    struct State {
      std::vector<uint8_t> data, tables;
      std::vector<int8_t> xq;
      std::vector<float> scale, y;
      std::vector<int32_t> sign_sum;
      float act = 0.01f;
      t3::Weights w;
    };
    auto make = [kp] {
      auto st = std::make_shared<State>();
      const auto q = Random(kM * kK);
      std::vector<uint8_t> codes(kM * kK);
      for (size_t i = 0; i < codes.size(); ++i) codes[i] = uint8_t(q[i] % 3);
      st->data.resize(t3::WeightBytes(kM, kK));
      st->sign_sum.resize(t3::Tiles(kM) * t3::kTileRows);
      t3::Pack(kM, kK, codes.data(), st->data.data(), st->sign_sum.data());
      st->scale.assign(t3::Tiles(kM) * t3::kTileRows, 0.01f);
      const auto x = Random(kK, 4242);
      st->xq.assign(x.begin(), x.begin() + kK);
      for (auto& v : st->xq) v = int8_t(v == -128 ? -127 : v);
      st->tables.resize(t3::TableBytes(kK));
      kp->build(kK, 1, st->xq.data(), kK, st->tables.data());
      st->y.resize(kM);
      st->w = {kM, kK, st->data.data(), st->scale.data(), st->sign_sum.data()};
      return st;
    };
    const double bytes = double(t3::WeightBytes(kM, kK)) + 8.0 * kM;  // + scale, sign sum
    cases.push_back(
        {base, kern.isa, "weight", double(kM * kK), bytes / double(kM * kK), [kp, make] {
           auto st = make();
           return std::function<void()>([st, kp] {
             kp->gemm(st->w, st->tables.data(), &st->act, 1, 0, t3::Tiles(kM), st->y.data(), kM);
           });
         }});
    cases.push_back({base + ".build", kern.isa, "activation", double(kK), 1.0, [kp, make] {
                       auto st = make();
                       return std::function<void()>(
                           [st, kp] { kp->build(kK, 1, st->xq.data(), kK, st->tables.data()); });
                     }});
  }
}

void AddQ8Block(std::vector<Case>& cases, bool all) {
  namespace q8 = kernels::q8block;
  for (const q8::Kernels& kern : q8::AllKernels()) {
    if (!Wanted(kern.isa, all)) continue;
    const q8::Kernels* kp = &kern;
    constexpr size_t kB = 32;  // Q8_0's block
    cases.push_back(
        {kern.name, kern.isa, "weight", double(kM * kK), 1.0 + 4.0 / kB, [kp] {
           struct State {
             std::vector<uint8_t> wq, aq;
             std::vector<float> scale, ascale, asum, y;
             std::vector<int32_t> qsum;
             q8::Weights w;
             q8::Activations a;
           };
           auto st = std::make_shared<State>();
           st->wq = Random(kM * kK);
           st->aq = Random(kK, 31);
           st->scale.assign(kM * kK / kB, 0.01f);
           st->ascale.assign(kK / kB, 0.02f);
           st->asum.assign(kK / kB, 1.0f);
           st->qsum.assign(kK / kB, 3);
           st->y.resize(kM);
           st->w = {
               kM,     kK, kB, reinterpret_cast<const int8_t*>(st->wq.data()), st->scale.data(),
               nullptr};
           st->a = {kK,
                    kB,
                    1,
                    reinterpret_cast<const int8_t*>(st->aq.data()),
                    st->ascale.data(),
                    st->asum.data(),
                    st->qsum.data()};
           return std::function<void()>(
               [st, kp] { kp->gemm(st->w, st->a, 0, kM, st->y.data(), kM); });
         }});
  }
}

// kquant: random blocks of every format with their fp16 scales (d, and dmin where the format
// has one) set to finite values; the codes and integer scales are the random bytes as they come.
void AddKQuant(std::vector<Case>& cases, bool all) {
  namespace kq = kernels::kquant;
  for (const kq::Kernels& kern : kq::AllKernels()) {
    if (!Wanted(kern.isa, all)) continue;
    const kq::Kernels* kp = &kern;
    const kq::Format f = kern.format;
    const size_t bb = kq::BlockBytes(f), bw = kq::BlockWeights(f);
    cases.push_back(
        {kern.name, kern.isa, "weight", double(kM * kK), double(bb) / double(bw), [kp, f, bb, bw] {
           struct State {
             std::vector<uint8_t> w, aq;
             std::vector<float> ascale, y;
             std::vector<int16_t> bsum;
             kq::Weights w_view;
             kq::Activations a;
           };
           auto st = std::make_shared<State>();
           const size_t blocks = kM * kK / bw;
           st->w = Random(blocks * bb);
           const auto halves = RandomHalves(2 * blocks);
           // The fp16 fields: d (and dmin after it) at this offset.
           size_t at = 0, count = 1;
           switch (f) {
             case kq::Format::kQ4K:
             case kq::Format::kQ5K:
               count = 2;
               break;
             case kq::Format::kQ6K:
               at = 208;
               break;
             case kq::Format::kQ3K:
               at = 108;
               break;
             case kq::Format::kQ2K:
               at = 80, count = 2;
               break;
             case kq::Format::kQ8_0:
             case kq::Format::kQ5_0:
             case kq::Format::kIQ4NL:
             case kq::Format::kIQ4XS:
               break;
             default:  // the i-quants: d first (IQ1_M's is in its scale words, left random)
               break;
           }
           for (size_t b = 0; b < blocks; ++b) {
             std::memcpy(st->w.data() + b * bb + at, &halves[2 * b], 2 * count);
           }
           st->aq = Random(kK, 31);
           for (auto& v : st->aq) v = v == 0x80 ? 0x81 : v;  // the quantizer's range, ±127
           st->bsum.resize(kK / kq::kSumGroup);
           for (size_t g = 0; g < st->bsum.size(); ++g) {
             int sum = 0;
             for (size_t i = 0; i < kq::kSumGroup; ++i) {
               sum += int8_t(st->aq[g * kq::kSumGroup + i]);
             }
             st->bsum[g] = int16_t(sum);
           }
           st->ascale.assign(kK / kq::ScaleGroup(f), 0.02f);
           st->y.resize(kM);
           st->w_view = {kM, kK, st->w.data(), kK / bw * bb};
           st->a = {kK,
                    1,
                    reinterpret_cast<const int8_t*>(st->aq.data()),
                    st->ascale.data(),
                    st->bsum.data(),
                    {}};
           return std::function<void()>(
               [st, kp] { kp->gemm(st->w_view, st->a, 0, kM, st->y.data(), kM); });
         }});
  }
}

// q4rows: random Q4_0 blocks (fp16 d set to finite values) packed once; streamed bytes are the
// packed matrix's (the file's 18 bytes per 32 weights).
void AddQ4Rows(std::vector<Case>& cases, bool all) {
  namespace q4 = kernels::q4rows;
  for (const q4::Kernels& kern : q4::AllKernels()) {
    if (!Wanted(kern.isa, all)) continue;
    const q4::Kernels* kp = &kern;
    cases.push_back(
        {kern.name, kern.isa, "weight", double(kM * kK),
         double(q4::PackedBytes(kM, kK)) / double(kM * kK), [kp] {
           struct State {
             std::vector<uint8_t> packed, aq;
             std::vector<float> ascale, y;
             q4::Weights w;
             q4::Activations a;
           };
           auto st = std::make_shared<State>();
           const size_t blocks = kM * kK / q4::kBlock;
           std::vector<uint8_t> file = Random(blocks * q4::kQ4_0BlockBytes);
           const auto halves = RandomHalves(blocks);
           for (size_t b = 0; b < blocks; ++b) {
             std::memcpy(file.data() + b * q4::kQ4_0BlockBytes, &halves[b], 2);
           }
           st->packed.resize(q4::PackedBytes(kM, kK));
           q4::Pack(kM, kK, file.data(), st->packed.data());
           st->aq = Random(kK, 31);
           for (auto& v : st->aq) v = v == 0x80 ? 0x81 : v;  // ±127
           st->ascale.assign(q4::Spans(kK), 0.02f);
           st->y.resize(kM);
           st->w = {kM, kK, st->packed.data()};
           st->a = {kK, 1, reinterpret_cast<const int8_t*>(st->aq.data()), st->ascale.data()};
           return std::function<void()>(
               [st, kp] { kp->gemm(st->w, st->a, 0, kM, st->y.data(), kM); });
         }});
  }
}

// ternary2: random ternary codes packed once, two cases per variant: one fp32 scale per row
// (BitNet, ternary-trained files) and `.blocks`, one fp16 per row and 256 (TQ2_0 from
// llama-quantize); streamed bytes are the codes plus the scales.
void AddTernary2(std::vector<Case>& cases, bool all) {
  namespace t2 = kernels::ternary2;
  for (const t2::Kernels& kern : t2::AllKernels()) {
    if (!Wanted(kern.isa, all)) continue;
    const t2::Kernels* kp = &kern;
    for (bool blocks : {false, true}) {
      const double bytes =
          double(t2::CodeBytes(kM, kK)) +
          (blocks ? 2.0 * t2::BlockScaleCount(kM, kK) : 4.0 * t2::RowScaleCount(kM));
      cases.push_back({std::string(kern.name) + (blocks ? ".blocks" : ""), kern.isa, "weight",
                       double(kM * kK), bytes / double(kM * kK), [kp, blocks] {
                         struct State {
                           std::vector<uint8_t> codes;
                           std::vector<int8_t> aq;
                           std::vector<float> row_scale, ascale, y;
                           std::vector<uint16_t> block_scale;
                           std::vector<int32_t> sums;
                           t2::Weights w;
                           t2::Activations a;
                         };
                         auto st = std::make_shared<State>();
                         const auto r = Random(kM * kK);
                         std::vector<uint8_t> q(kM * kK);
                         for (size_t i = 0; i < q.size(); ++i) q[i] = uint8_t(r[i] % 3);
                         st->codes.resize(t2::CodeBytes(kM, kK));
                         t2::Pack(kM, kK, q.data(), st->codes.data());
                         st->row_scale.assign(t2::RowScaleCount(kM), 0.01f);
                         const auto halves = RandomHalves(t2::BlockScaleCount(kM, kK));
                         st->block_scale.assign(halves.begin(), halves.end());
                         const auto x = Random(kK, 31);
                         st->aq.resize(kK);
                         for (size_t i = 0; i < kK; ++i)
                           st->aq[i] = int8_t(x[i] == 0x80 ? 0x81 : x[i]);
                         st->sums.resize(t2::SumCount(kK));
                         t2::Sums(kK, st->aq.data(), st->sums.data());
                         st->ascale.assign(1, 0.02f);
                         st->y.resize(kM);
                         st->w = {kM, kK, st->codes.data(), blocks ? nullptr : st->row_scale.data(),
                                  blocks ? st->block_scale.data() : nullptr};
                         st->a = {kK, 1, st->aq.data(), st->ascale.data(), st->sums.data()};
                         return std::function<void()>(
                             [st, kp] { kp->gemm(st->w, st->a, 0, kM, st->y.data(), kM); });
                       }});
    }
  }
}

void AddLutbuild(std::vector<Case>& cases, bool all) {
  namespace lb = kernels::lutbuild;
  struct State {
    std::vector<float> x, scale, sum;
    std::vector<uint8_t> lo, hi;
    std::vector<int8_t> xq;
  };
  auto make = [] {
    auto st = std::make_shared<State>();
    st->x = RandomFloats(kK);
    st->scale.resize(kK / 32);
    st->sum.resize(kK / 32);
    st->lo.resize(kK / 4 * 32);
    st->hi.resize(kK / 4 * 16);
    st->xq.resize(kK);
    return st;
  };
  for (const auto& kern : lb::BuildKernels()) {
    if (!Wanted(kern.isa, all)) continue;
    const auto fn = kern.fn;
    cases.push_back({kern.name, kern.isa, "activation", double(kK), 4.0, [fn, make] {
                       auto st = make();
                       return std::function<void()>([st, fn] {
                         fn(kK, 128, st->x.data(), st->lo.data(), st->scale.data(), st->sum.data());
                       });
                     }});
  }
  for (const auto& kern : lb::BuildExactKernels()) {
    if (!Wanted(kern.isa, all)) continue;
    const auto fn = kern.fn;
    cases.push_back({kern.name, kern.isa, "activation", double(kK), 4.0, [fn, make] {
                       auto st = make();
                       return std::function<void()>([st, fn] {
                         fn(kK, 128, st->x.data(), 60.0f, 1 / 60.0f, st->lo.data(), st->hi.data(),
                            st->scale.data(), st->sum.data());
                       });
                     }});
  }
  for (const auto& kern : lb::BuildInt8Kernels()) {
    if (!Wanted(kern.isa, all)) continue;
    const auto fn = kern.fn;
    cases.push_back({kern.name, kern.isa, "activation", double(kK), 4.0, [fn, make] {
                       auto st = make();
                       return std::function<void()>([st, fn] {
                         fn(kK, 128, st->x.data(), 60.0f, 1 / 60.0f, st->xq.data(),
                            st->scale.data(), st->sum.data());
                       });
                     }});
  }
  for (const auto& kern : lb::BuildInt8BlocksKernels()) {
    if (!Wanted(kern.isa, all)) continue;
    const auto fn = kern.fn;
    cases.push_back({kern.name, kern.isa, "activation", double(kK), 4.0, [fn, make] {
                       auto st = make();
                       return std::function<void()>([st, fn] {
                         fn(kK, 32, st->x.data(), st->xq.data(), st->scale.data(), st->sum.data());
                       });
                     }});
  }
}

// Attention over one KV head: 8 query rows (a GQA group) × 1024 positions × d = 64; the unit
// is one cache element (K or V), read once per call.
template <typename T, typename Fn>
void AddAttn(std::vector<Case>& cases, bool all, std::span<const kernels::Kernel<Fn>> reg,
             bool qk) {
  constexpr size_t kElems = kSeqLen * kHeadDim;
  for (const auto& kern : reg) {
    if (!Wanted(kern.isa, all)) continue;
    const auto fn = kern.fn;
    cases.push_back(
        {kern.name, kern.isa, "cache element", double(kElems), double(sizeof(T)), [fn, qk] {
           struct State {
             std::vector<float> q, s;
             std::vector<T> kv;
           };
           auto st = std::make_shared<State>();
           st->q = RandomFloats(kGqaRows * std::max(kHeadDim, kSeqLen));
           if constexpr (sizeof(T) == 2) {
             st->kv = RandomHalves(kElems);
           } else {
             st->kv = RandomFloats(kElems);
           }
           st->s.resize(kGqaRows * std::max(kHeadDim, kSeqLen));
           return std::function<void()>([st, fn, qk] {
             if (qk) {
               fn(kGqaRows, kHeadDim, kSeqLen, st->q.data(), kHeadDim, st->kv.data(), st->s.data(),
                  kSeqLen);
             } else {
               fn(kGqaRows, kHeadDim, kSeqLen, st->q.data(), kSeqLen, st->kv.data(), st->s.data(),
                  kHeadDim);
             }
           });
         }});
  }
}

void AddSoftmax(std::vector<Case>& cases, bool all,
                std::span<const kernels::Kernel<kernels::softmax2p::SoftmaxFn>> reg) {
  for (const auto& kern : reg) {
    if (!Wanted(kern.isa, all)) continue;
    const auto fn = kern.fn;
    cases.push_back({kern.name, kern.isa, "element", double(kSeqLen), 4.0, [fn] {
                       auto x = std::make_shared<std::vector<float>>(RandomFloats(kSeqLen));
                       auto y = std::make_shared<std::vector<float>>(kSeqLen);
                       return std::function<void()>(
                           [x, y, fn] { fn(kSeqLen, x->data(), nullptr, 0.125f, y->data()); });
                     }});
  }
}

// The kernel benchmark's dequantize-then-dot baseline (compiled for the baseline, NEON on
// AArch64), 2-bit and 4-bit codes with an fp32 scale per 128.
void AddDequant(std::vector<Case>& cases) {
  for (size_t bits : {size_t{2}, size_t{4}}) {
    const std::string name = "dequant_dot_w" + std::to_string(bits) + "g128__baseline";
    cases.push_back({name, arch::kNEON, "weight", double(kM * kK), bits / 8.0 + 4.0 / 128, [bits] {
                       auto d = std::make_shared<DequantMatrix>();
                       d->m = kM;
                       d->k = kK;
                       d->bits = bits;
                       d->stride = kK * bits / 8;
                       d->codes = Random(kM * d->stride + 4);
                       d->scale.assign(kM * kK / 128, 0.01f);
                       auto x = std::make_shared<std::vector<float>>(RandomFloats(kK));
                       auto y = std::make_shared<std::vector<float>>(kM);
                       return std::function<void()>([d, x, y, bits] {
                         if (bits == 2) {
                           DequantDotRowsPortable<2>(*d, x->data(), y->data(), 1.0f);
                         } else {
                           DequantDotRowsPortable<4>(*d, x->data(), y->data(), 8.0f);
                         }
                       });
                     }});
  }
}

std::vector<Case> AllCases(bool all) {
  std::vector<Case> cases;
  AddLutgemm(cases, all);
  AddTernary3(cases, all);
  AddQ8Block(cases, all);
  AddKQuant(cases, all);
  AddQ4Rows(cases, all);
  AddTernary2(cases, all);
  AddDequant(cases);
  AddLutbuild(cases, all);
  namespace at = kernels::attn;
  AddAttn<uint16_t>(cases, all, at::QkF16Kernels(), true);
  AddAttn<float>(cases, all, at::QkF32Kernels(), true);
  AddAttn<uint16_t>(cases, all, at::PvF16Kernels(), false);
  AddAttn<float>(cases, all, at::PvF32Kernels(), false);
  namespace sm = kernels::softmax2p;
  AddSoftmax(cases, all, sm::TwoPassKernels());
  AddSoftmax(cases, all, sm::StoredThreePassKernels());
  return cases;
}

}  // namespace
}  // namespace lutra::bench

int main(int argc, char** argv) {
  using namespace lutra;
  if (argc >= 2 && !std::strcmp(argv[1], "list")) {
    const bool all = argc >= 3 && !std::strcmp(argv[2], "all");
    for (const auto& c : bench::AllCases(all)) {
      std::printf("%s\t%s\t%s\t%.0f\t%.6f\n", c.name.c_str(), arch::FeatureNames(c.isa).c_str(),
                  c.unit, c.units, c.bytes_per_unit);
    }
    return 0;
  }
  if (argc >= 4 && !std::strcmp(argv[1], "run")) {
    const long reps = std::strtol(argv[3], nullptr, 10);
    for (const auto& c : bench::AllCases(true)) {
      if (c.name != argv[2]) continue;
      const std::function<void()> call = c.setup();
      for (long r = 0; r < reps; ++r) call();
      return 0;
    }
    std::fprintf(stderr, "unknown case %s\n", argv[2]);
    return 2;
  }
  std::fprintf(stderr, "usage: %s list [all] | run NAME REPS\n", argv[0]);
  return 2;
}
