#include "engine/src/dispatch/kernel_catalog.h"

#include <cstdint>

#include "engine/src/dispatch/kernel_config.h"
#include "kernels/attn/attn.h"
#include "kernels/common/select.h"
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
namespace {

using kernels::lutgemm::GemmKernel;
using kernels::packw::PlaneOrder;

template <typename Desc>
std::vector<KernelVariant> ListOf(std::span<const Desc> table) {
  std::vector<KernelVariant> out;
  for (const Desc& d : table) out.push_back({d.name, d.isa});
  return out;
}

const char* NameOf(const GemmKernel* k) {
  return k != nullptr ? k->name : "none";
}

// The lutgemm variants a LUT matrix of `Bits` and `Mode` may run, one-token ones or (Many) all,
// of any plane order or (Mapped) the canonical one packed files hold.
template <uint32_t Bits, LutMode Mode, bool Many, bool Mapped>
std::vector<KernelVariant> LutGemmList() {
  std::vector<KernelVariant> out;
  for (const GemmKernel& k : kernels::lutgemm::GemmKernels()) {
    const bool mode = Mode == LutMode::kLookupOnly
                          ? !k.exact && k.input == kernels::lutgemm::Input::kTables
                          : k.exact == (Mode == LutMode::kExact);
    if (k.bits == Bits && mode && (Many || k.min_n <= 1) &&
        (!Mapped || k.order == PlaneOrder::kCanonical)) {
      out.push_back({k.name, k.isa});
    }
  }
  return out;
}

// lutgemm selects per bit width, mode and token count, so each (bits, mode) is its own
// operation, for one token and (".prefill") for many; ".mapped": the matrices of a lutra-packed
// file, whose bits stay in the canonical plane order.
template <uint32_t Bits, LutMode Mode, bool Many, bool Mapped>
const char* LutGemmSelected(arch::IsaSet f) {
  const KernelConfig& c = KernelConfig::For(f);
  const LutKernels k = Mapped ? c.LutMapped(Bits, Mode) : c.Lut(Bits, Mode);
  return NameOf(Many ? k.many : k.one);
}
#define LUTRA_LUTGEMM_OP(op_name, bits, mode, many, mapped)      \
  KernelOp {                                                     \
    op_name, LutGemmSelected<bits, LutMode::mode, many, mapped>, \
        LutGemmList<bits, LutMode::mode, many, mapped>           \
  }

// Q4_0 matrices: the q4rows pair where it is preferred (ARM), kquant's Q4_0 on the file's blocks
// with AVX-512 VNNI, else the lookup kernel of 4-bit fp32-activation matrices (what a Q4_0
// repack runs elsewhere).
const char* Q4RowsSelected(arch::IsaSet f) {
  const KernelConfig& c = KernelConfig::For(f);
  if (c.q4rows_preferred()) return c.q4rows().name;
  if (c.q4_0_in_place()) return c.kquant(kernels::kquant::Format::kQ4_0).name;
  return NameOf(c.Lut(4, LutMode::kFloat).one);
}
std::vector<KernelVariant> Q4RowsList() {
  std::vector<KernelVariant> out;
  for (const auto& k : kernels::q4rows::AllKernels()) {
    if ((k.isa & arch::kNEON) != 0) out.push_back({k.name, k.isa});  // the preferred ones
  }
  for (const auto& k : kernels::kquant::AllKernels()) {
    if (k.format == kernels::kquant::Format::kQ4_0 && (k.isa & arch::kAVX512VNNI) != 0) {
      out.push_back({k.name, k.isa});
    }
  }
  for (const KernelVariant& v : LutGemmList<4, LutMode::kFloat, false, false>()) out.push_back(v);
  return out;
}

// kquant selects per format: each is its own operation.
template <kernels::kquant::Format F>
const char* KQuantSelected(arch::IsaSet f) {
  return KernelConfig::For(f).kquant(F).name;
}
template <kernels::kquant::Format F>
std::vector<KernelVariant> KQuantList() {
  std::vector<KernelVariant> out;
  for (const auto& k : kernels::kquant::AllKernels()) {
    if (k.format == F) out.push_back({k.name, k.isa});
  }
  return out;
}

// Exact ternary rows with one scale (BitNet b1.58, TQ1_0 / TQ2_0 repacked in memory): the
// ternary3 pair where it is preferred, else the exact 2-bit lutgemm kernels.
template <bool Many>
const char* TernarySelected(arch::IsaSet f) {
  const LutKernels k = KernelConfig::For(f).Lut(2, LutMode::kExact, /*ternary_one_scale=*/true);
  return k.ternary3 != nullptr ? k.ternary3->name : NameOf(Many ? k.many : k.one);
}
template <bool Many>
std::vector<KernelVariant> TernaryList() {
  std::vector<KernelVariant> out;
  for (const auto& t : kernels::ternary3::AllKernels()) {
    if (!t.preferred) break;  // never run: the engine takes the bit-plane kernels instead
    out.push_back({t.name, t.isa});
  }
  for (const KernelVariant& v : LutGemmList<2, LutMode::kExact, Many, false>()) out.push_back(v);
  return out;
}

// TQ1_0 / TQ2_0 / I2_S matrices (rows a multiple of 256): the ternary2 rows where they are
// preferred (ARM, any scales), else the LUT path of exact ternary rows with one scale.
const char* Ternary2Selected(arch::IsaSet f) {
  const KernelConfig& c = KernelConfig::For(f);
  return c.ternary2_preferred() ? c.ternary2().name : TernarySelected<false>(f);
}
std::vector<KernelVariant> Ternary2List() {
  std::vector<KernelVariant> out;
  for (const auto& k : kernels::ternary2::AllKernels()) {
    if ((k.isa & arch::kNEON) != 0) out.push_back({k.name, k.isa});  // the preferred ones
  }
  for (const KernelVariant& v : TernaryList<false>()) out.push_back(v);
  return out;
}

// One entry per registry; `pick` names the variant a KernelConfig `c` holds.
#define LUTRA_OP(op_name, registry, pick)                                \
  KernelOp {                                                             \
    op_name,                                                             \
        [](arch::IsaSet f) -> const char* {                              \
          [[maybe_unused]] const KernelConfig& c = KernelConfig::For(f); \
          return (pick)->name;                                           \
        },                                                               \
        [] { return ListOf(registry()); }                                \
  }

const KernelOp kOps[] = {
    LUTRA_OP("vec.dot", kernels::vec::DotKernels, c.vec().dot),
    LUTRA_OP("vec.axpy", kernels::vec::AxpyKernels, c.vec().axpy),
    LUTRA_OP("vec.scale", kernels::vec::ScaleKernels, c.vec().scale),
    LUTRA_OP("vec.add", kernels::vec::AddKernels, c.vec().add),
    LUTRA_OP("vec.mul", kernels::vec::MulKernels, c.vec().mul),
    LUTRA_OP("vec.silu", kernels::vec::SiluKernels, c.vec().silu),
    LUTRA_OP("vec.gelu", kernels::vec::GeluKernels, c.vec().gelu),
    LUTRA_OP("vec.softcap", kernels::vec::SoftcapKernels, c.vec().softcap),
    LUTRA_OP("rmsnorm", kernels::rmsnorm::RmsNormKernels, &c.rmsnorm()),
    LUTRA_OP("softmax2p", kernels::softmax2p::TwoPassKernels, &c.softmax2p()),
    // The engine does not run the classic three-pass softmax (the benchmarks' baseline).
    LUTRA_OP("softmax3p", kernels::softmax2p::ThreePassKernels,
             kernels::SelectFirst(kernels::softmax2p::ThreePassKernels(), f)),
    LUTRA_OP("softmax3s", kernels::softmax2p::StoredThreePassKernels, &c.softmax_cached_rows()),
    LUTRA_OP("attn.qk.f16", kernels::attn::QkF16Kernels, c.attn().qk_f16),
    LUTRA_OP("attn.pv.f16", kernels::attn::PvF16Kernels, c.attn().pv_f16),
    LUTRA_OP("attn.qk.f32", kernels::attn::QkF32Kernels, c.attn().qk_f32),
    LUTRA_OP("attn.pv.f32", kernels::attn::PvF32Kernels, c.attn().pv_f32),
    LUTRA_OP("attn.qk.bf16", kernels::attn::QkBf16Kernels, c.attn().qk_bf16),
    LUTRA_OP("attn.pv.bf16", kernels::attn::PvBf16Kernels, c.attn().pv_bf16),
    LUTRA_OP("f16.tof32", kernels::f16::ToF32Kernels, c.f16().to_f32),
    LUTRA_OP("f16.fromf32", kernels::f16::FromF32Kernels, c.f16().from_f32),
    LUTRA_OP("f16.dot", kernels::f16::DotKernels, c.f16().dot),
    LUTRA_OP("f16.axpy", kernels::f16::AxpyKernels, c.f16().axpy),
    LUTRA_OP("packw.pack", kernels::packw::PackKernels, c.packw().pack),
    LUTRA_OP("packw.unpack", kernels::packw::UnpackKernels, c.packw().unpack),
    LUTRA_OP("lutbuild.f32", kernels::lutbuild::BuildKernels, c.lutbuild().quantized),
    LUTRA_OP("lutbuild.a8", kernels::lutbuild::BuildExactKernels, c.lutbuild().exact),
    LUTRA_OP("lutbuild.q8", kernels::lutbuild::BuildInt8Kernels, c.lutbuild().int8),
    LUTRA_OP("lutbuild.q8b", kernels::lutbuild::BuildInt8BlocksKernels, c.lutbuild().int8_blocks),
    LUTRA_LUTGEMM_OP("lutgemm.w1", 1, kFloat, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w1.prefill", 1, kFloat, true, false),
    LUTRA_LUTGEMM_OP("lutgemm.w2", 2, kFloat, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w2.prefill", 2, kFloat, true, false),
    LUTRA_LUTGEMM_OP("lutgemm.w3", 3, kFloat, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w3.prefill", 3, kFloat, true, false),
    LUTRA_LUTGEMM_OP("lutgemm.w4", 4, kFloat, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w4.prefill", 4, kFloat, true, false),
    LUTRA_LUTGEMM_OP("lutgemm.w1a8", 1, kExact, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w1a8.prefill", 1, kExact, true, false),
    LUTRA_LUTGEMM_OP("lutgemm.w2a8", 2, kExact, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w2a8.prefill", 2, kExact, true, false),
    LUTRA_LUTGEMM_OP("lutgemm.w3a8", 3, kExact, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w3a8.prefill", 3, kExact, true, false),
    LUTRA_LUTGEMM_OP("lutgemm.w4a8", 4, kExact, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w4a8.prefill", 4, kExact, true, false),
    // Per-group float mins (Q4_1, Q4_K, ...): table lookup only.
    LUTRA_LUTGEMM_OP("lutgemm.w1.lookup", 1, kLookupOnly, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w1.lookup.prefill", 1, kLookupOnly, true, false),
    LUTRA_LUTGEMM_OP("lutgemm.w2.lookup", 2, kLookupOnly, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w2.lookup.prefill", 2, kLookupOnly, true, false),
    LUTRA_LUTGEMM_OP("lutgemm.w3.lookup", 3, kLookupOnly, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w3.lookup.prefill", 3, kLookupOnly, true, false),
    LUTRA_LUTGEMM_OP("lutgemm.w4.lookup", 4, kLookupOnly, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w4.lookup.prefill", 4, kLookupOnly, true, false),
    // Matrices mapped from a lutra-packed file (canonical plane order).
    LUTRA_LUTGEMM_OP("lutgemm.w1.mapped", 1, kFloat, false, true),
    LUTRA_LUTGEMM_OP("lutgemm.w1.mapped.prefill", 1, kFloat, true, true),
    LUTRA_LUTGEMM_OP("lutgemm.w2.mapped", 2, kFloat, false, true),
    LUTRA_LUTGEMM_OP("lutgemm.w2.mapped.prefill", 2, kFloat, true, true),
    LUTRA_LUTGEMM_OP("lutgemm.w3.mapped", 3, kFloat, false, true),
    LUTRA_LUTGEMM_OP("lutgemm.w3.mapped.prefill", 3, kFloat, true, true),
    LUTRA_LUTGEMM_OP("lutgemm.w4.mapped", 4, kFloat, false, true),
    LUTRA_LUTGEMM_OP("lutgemm.w4.mapped.prefill", 4, kFloat, true, true),
    LUTRA_LUTGEMM_OP("lutgemm.w1a8.mapped", 1, kExact, false, true),
    LUTRA_LUTGEMM_OP("lutgemm.w1a8.mapped.prefill", 1, kExact, true, true),
    LUTRA_LUTGEMM_OP("lutgemm.w2a8.mapped", 2, kExact, false, true),
    LUTRA_LUTGEMM_OP("lutgemm.w2a8.mapped.prefill", 2, kExact, true, true),
    LUTRA_LUTGEMM_OP("lutgemm.w3a8.mapped", 3, kExact, false, true),
    LUTRA_LUTGEMM_OP("lutgemm.w3a8.mapped.prefill", 3, kExact, true, true),
    LUTRA_LUTGEMM_OP("lutgemm.w4a8.mapped", 4, kExact, false, true),
    LUTRA_LUTGEMM_OP("lutgemm.w4a8.mapped.prefill", 4, kExact, true, true),
    // Exact ternary rows with one scale, repacked in memory (decode and prefill).
    KernelOp{"ternary3", TernarySelected<false>, TernaryList<false>},
    KernelOp{"ternary3.prefill", TernarySelected<true>, TernaryList<true>},
    // Ternary matrices of GGUF files: rows by four on ARM, the LUT path elsewhere.
    KernelOp{"ternary2", Ternary2Selected, Ternary2List},
    // Block formats of up to 8 bits with 16- or 32-weight scales (Q8_0, Q5_x, Q6_K, ...).
    LUTRA_OP("q8block", kernels::q8block::AllKernels, &c.q8block()),
    // Q4_0 matrices: rows by four on ARM, the file's blocks with AVX-512 VNNI, else the lookup
    // kernels.
    KernelOp{"q4rows", Q4RowsSelected, Q4RowsList},
    // Matrices multiplied on the file's own blocks (k-quants, Q8_0, Q5_0, Q4_0, IQ4_NL, IQ4_XS, the
    // lattice i-quants).
    KernelOp{"kquant.q4k", KQuantSelected<kernels::kquant::Format::kQ4K>,
             KQuantList<kernels::kquant::Format::kQ4K>},
    KernelOp{"kquant.q5k", KQuantSelected<kernels::kquant::Format::kQ5K>,
             KQuantList<kernels::kquant::Format::kQ5K>},
    KernelOp{"kquant.q6k", KQuantSelected<kernels::kquant::Format::kQ6K>,
             KQuantList<kernels::kquant::Format::kQ6K>},
    KernelOp{"kquant.q3k", KQuantSelected<kernels::kquant::Format::kQ3K>,
             KQuantList<kernels::kquant::Format::kQ3K>},
    KernelOp{"kquant.q2k", KQuantSelected<kernels::kquant::Format::kQ2K>,
             KQuantList<kernels::kquant::Format::kQ2K>},
    KernelOp{"kquant.q8_0", KQuantSelected<kernels::kquant::Format::kQ8_0>,
             KQuantList<kernels::kquant::Format::kQ8_0>},
    KernelOp{"kquant.q5_0", KQuantSelected<kernels::kquant::Format::kQ5_0>,
             KQuantList<kernels::kquant::Format::kQ5_0>},
    KernelOp{"kquant.q4_0", KQuantSelected<kernels::kquant::Format::kQ4_0>,
             KQuantList<kernels::kquant::Format::kQ4_0>},
    KernelOp{"kquant.iq4nl", KQuantSelected<kernels::kquant::Format::kIQ4NL>,
             KQuantList<kernels::kquant::Format::kIQ4NL>},
    KernelOp{"kquant.iq4xs", KQuantSelected<kernels::kquant::Format::kIQ4XS>,
             KQuantList<kernels::kquant::Format::kIQ4XS>},
    // The lattice i-quants, on the file's own blocks too.
    KernelOp{"kquant.iq2xxs", KQuantSelected<kernels::kquant::Format::kIQ2XXS>,
             KQuantList<kernels::kquant::Format::kIQ2XXS>},
    KernelOp{"kquant.iq2xs", KQuantSelected<kernels::kquant::Format::kIQ2XS>,
             KQuantList<kernels::kquant::Format::kIQ2XS>},
    KernelOp{"kquant.iq2s", KQuantSelected<kernels::kquant::Format::kIQ2S>,
             KQuantList<kernels::kquant::Format::kIQ2S>},
    KernelOp{"kquant.iq3xxs", KQuantSelected<kernels::kquant::Format::kIQ3XXS>,
             KQuantList<kernels::kquant::Format::kIQ3XXS>},
    KernelOp{"kquant.iq3s", KQuantSelected<kernels::kquant::Format::kIQ3S>,
             KQuantList<kernels::kquant::Format::kIQ3S>},
    KernelOp{"kquant.iq1s", KQuantSelected<kernels::kquant::Format::kIQ1S>,
             KQuantList<kernels::kquant::Format::kIQ1S>},
    KernelOp{"kquant.iq1m", KQuantSelected<kernels::kquant::Format::kIQ1M>,
             KQuantList<kernels::kquant::Format::kIQ1M>},
};

#undef LUTRA_OP
#undef LUTRA_LUTGEMM_OP

}  // namespace

std::span<const KernelOp> KernelOps() {
  return kOps;
}

}  // namespace lutra::engine
