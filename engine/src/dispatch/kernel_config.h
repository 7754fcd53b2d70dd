// The kernel variant of every operation the engine dispatches, for one feature set (the
// process's, capped by LUTRA_ISA or a model's isa option). Built once when a model loads (or a
// converter starts); every operator takes its function pointers from it, and lutra-sysinfo /
// lutra_kernel_choice report from it (engine/src/dispatch/kernel_catalog.cc), so what is printed is
// what runs. This file's .cc is the only place in the engine that calls the registries' Select.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "arch/isa.h"
#include "kernels/attn/attn.h"
#include "kernels/common/kernel.h"
#include "kernels/f16/f16.h"
#include "kernels/kquant/kquant.h"
#include "kernels/lutbuild/lutbuild.h"
#include "kernels/lutgemm/lutgemm.h"
#include "kernels/packw/packw.h"
#include "kernels/q4rows/q4rows.h"
#include "kernels/q8block/q8block.h"
#include "kernels/rmsnorm/rmsnorm.h"
#include "kernels/softmax2p/softmax2p.h"
#include "kernels/ternary2/ternary2.h"
#include "kernels/ternary3/ternary3.h"
#include "kernels/vec/vec.h"

namespace lutra::engine {

// Which lutgemm variants a LUT matrix may use.
enum class LutMode : uint8_t {
  kFloat,       // fp32 activations: quantized tables or int8-block dot products
  kExact,       // int8 per-token activations, exact integer products (W·A8)
  kLookupOnly,  // fp32 activations through tables only: per-group float mins live in the bias,
                // which the dot-product variants do not read (Q4_1, Q4_K, ...)
};

// Token counts the lutgemm choice distinguishes: one token (decode), and many (prefill: the
// variants with a min_n above 1 become eligible; LutMatrix switches at the many variant's min_n).
enum class Tokens : uint8_t { kOne, kMany };

// The GEMM kernels of one LUT matrix.
struct LutKernels {
  const kernels::lutgemm::GemmKernel* one = nullptr;   // n = 1 (null: no variant for the bits)
  const kernels::lutgemm::GemmKernel* many = nullptr;  // n ≥ many->min_n; reads one's plane order
  // Set when the matrix is repacked into the ternary3 layout and multiplied by this pair (then
  // `one` and `many` name the exact bit-plane kernel whose contract the matrix keeps).
  const kernels::ternary3::Kernels* ternary3 = nullptr;
};

class KernelConfig {
 public:
  // Selects every operation's variant for `features`.
  explicit KernelConfig(arch::IsaSet features);
  // The config of `features`, built on first use and kept for the process's lifetime (one per
  // feature set; thread-safe).
  static const KernelConfig& For(arch::IsaSet features);

  arch::IsaSet features() const { return features_; }

  const kernels::vec::VecOps& vec() const { return vec_; }
  const kernels::Kernel<kernels::rmsnorm::RmsNormFn>& rmsnorm() const { return *rmsnorm_; }
  const kernels::f16::F16Ops& f16() const { return f16_; }
  const kernels::attn::AttnOps& attn() const { return attn_; }
  // Two passes: rows streamed from memory (sampling over the vocabulary).
  const kernels::Kernel<kernels::softmax2p::SoftmaxFn>& softmax2p() const { return *softmax2p_; }
  // Three passes with the exponentials stored: rows that stay in cache (attention scores).
  const kernels::Kernel<kernels::softmax2p::SoftmaxFn>& softmax_cached_rows() const {
    return *softmax3s_;
  }
  const kernels::q8block::Kernels& q8block() const { return *q8block_; }
  // Q4_0 rows by four with fp16 scales, and whether Q4_0 matrices take it rather than the
  // lookup kernels: on ARM, where the cycle model puts it ahead (docs/kernels.md: dotprod 2.2×
  // the lookup kernel on the A76, NEON 1.2× on the A72, and 0.5625 bytes per weight against
  // 0.625).
  const kernels::q4rows::Kernels& q4rows() const { return *q4rows_; }
  bool q4rows_preferred() const { return (q4rows_->isa & arch::kNEON) != 0; }
  // Whether Q4_0 matrices are multiplied on the file's own blocks (kquant): with AVX-512 VNNI,
  // where it measured 1.3× the lookup kernels in prefill at the same decode speed, with no
  // repack at load (docs/measurements.md). With AVX2 or AVX-512 BW alone the lookup kernels
  // measured faster in both (pp64 1.8× and 1.3×), and RISC-V has no kquant RVV variant.
  bool q4_0_in_place() const {
    return !q4rows_preferred() &&
           (kquant(kernels::kquant::Format::kQ4_0).isa & arch::kAVX512VNNI) != 0;
  }
  // GEMM on the file's own blocks (the k-quants, Q8_0, Q5_0, Q4_0, IQ4_NL, IQ4_XS, the lattice
  // i-quants), one per format.
  const kernels::kquant::Kernels& kquant(kernels::kquant::Format f) const {
    return *kquant_[static_cast<size_t>(f)];
  }
  const kernels::lutbuild::BuildOps& lutbuild() const { return lutbuild_; }
  const kernels::packw::PackOps& packw() const { return packw_; }
  // The best ternary3 variant (never null), and whether it beats the exact bit-plane kernels
  // (LUT matrices are repacked for it only then).
  const kernels::ternary3::Kernels& ternary3() const { return *ternary3_; }
  bool ternary3_preferred() const { return ternary3_->preferred; }
  // Ternary rows at 2 bits by four (TQ1_0 / TQ2_0 / I2_S matrices, int8-exact), and whether
  // those matrices take it rather than the LUT path: on ARM, where the cycle model puts it
  // ahead of every lookup kernel (docs/kernels.md: 1.7× the exact bit-plane kernel on the A76
  // with dotprod, 1.4× on the A72 without); x86 has no variant of it.
  const kernels::ternary2::Kernels& ternary2() const { return *ternary2_; }
  bool ternary2_preferred() const { return (ternary2_->isa & arch::kNEON) != 0; }

  // The best lutgemm variant for `bits` (1..4), mode and token count, of any plane order or
  // of `order`; null when there is none (bits outside 1..4).
  const kernels::lutgemm::GemmKernel* LutGemm(
      uint32_t bits, LutMode mode, Tokens tokens,
      std::optional<kernels::packw::PlaneOrder> order = std::nullopt) const;

  // What a LUT matrix of `bits` runs. In memory (LutMatrix::Create): the best one-token variant
  // of any order (the matrix is reordered for it) and the many-token variant of that order; an
  // exact matrix of ternary rows with one scale each (`ternary_one_scale`) takes the ternary3
  // pair where it is preferred. `one` is null when no variant fits.
  LutKernels Lut(uint32_t bits, LutMode mode, bool ternary_one_scale = false) const;
  // Packed bits mapped from a file (LutMatrix::CreateView) stay in the canonical order.
  LutKernels LutMapped(uint32_t bits, LutMode mode) const;

 private:
  static constexpr size_t kBits = 4, kModes = 3, kTokens = 2, kOrderSlots = 3;  // any + 2 orders

  arch::IsaSet features_;
  kernels::vec::VecOps vec_;
  const kernels::Kernel<kernels::rmsnorm::RmsNormFn>* rmsnorm_;
  kernels::f16::F16Ops f16_;
  kernels::attn::AttnOps attn_;
  const kernels::Kernel<kernels::softmax2p::SoftmaxFn>* softmax2p_;
  const kernels::Kernel<kernels::softmax2p::SoftmaxFn>* softmax3s_;
  const kernels::q8block::Kernels* q8block_;
  const kernels::q4rows::Kernels* q4rows_;
  // By kernels::kquant::Format.
  std::array<const kernels::kquant::Kernels*, kernels::kquant::kFormats> kquant_{};
  kernels::lutbuild::BuildOps lutbuild_;
  kernels::packw::PackOps packw_;
  const kernels::ternary3::Kernels* ternary3_;
  const kernels::ternary2::Kernels* ternary2_;
  // [bits − 1][mode][tokens][0: any order, 1 + PlaneOrder]
  std::array<const kernels::lutgemm::GemmKernel*, kBits * kModes * kTokens * kOrderSlots>
      lutgemm_{};
};

}  // namespace lutra::engine
