#include "engine/src/kernel_catalog.h"

#include <cstdint>

#include "kernels/attn/attn.h"
#include "kernels/common/select.h"
#include "kernels/f16/f16.h"
#include "kernels/lutbuild/lutbuild.h"
#include "kernels/lutgemm/lutgemm.h"
#include "kernels/packw/packw.h"
#include "kernels/q8block/q8block.h"
#include "kernels/rmsnorm/rmsnorm.h"
#include "kernels/softmax2p/softmax2p.h"
#include "kernels/ternary3/ternary3.h"
#include "kernels/vec/vec.h"

namespace lutra::engine {
namespace {

template <typename Desc>
std::vector<KernelVariant> ListOf(std::span<const Desc> table) {
  std::vector<KernelVariant> out;
  for (const Desc& d : table) out.push_back({d.name, d.isa});
  return out;
}

template <typename Desc>
const char* SelectedOf(std::span<const Desc> table, arch::IsaSet features) {
  const Desc* d = kernels::SelectFirst(table, features);
  return d != nullptr ? d->name : "none";
}

// lutgemm selects per bit width, table mode and token count, so each (bits, mode) is its own
// operation, for one token and (".prefill") for many.
// The many-token choice reads the plane order of the one-token choice, as in LutMatrix.
template <uint32_t Bits, bool Exact, bool Many>
const char* LutGemmSelected(arch::IsaSet f) {
  const auto* k = kernels::lutgemm::Select(f, Bits, Exact, 1);
  if (k != nullptr && Many) k = kernels::lutgemm::Select(f, Bits, Exact, SIZE_MAX, k->order);
  return k != nullptr ? k->name : "none";
}
template <uint32_t Bits, bool Exact, bool Many>
std::vector<KernelVariant> LutGemmList() {
  std::vector<KernelVariant> out;
  for (const auto& k : kernels::lutgemm::GemmKernels()) {
    if (k.bits == Bits && k.exact == Exact && (Many || k.min_n <= 1)) {
      out.push_back({k.name, k.isa});
    }
  }
  return out;
}
#define LUTRA_LUTGEMM_OP(op_name, bits, exact, many)                            \
  KernelOp {                                                                    \
    op_name, LutGemmSelected<bits, exact, many>, LutGemmList<bits, exact, many> \
  }

// One entry per registry function; the lambdas adapt each registry to the uniform shape.
#define LUTRA_OP(op_name, registry)                                    \
  KernelOp {                                                           \
    op_name, [](arch::IsaSet f) { return SelectedOf(registry(), f); }, \
        [] { return ListOf(registry()); }                              \
  }

const KernelOp kOps[] = {
    LUTRA_OP("vec.dot", kernels::vec::DotKernels),
    LUTRA_OP("vec.axpy", kernels::vec::AxpyKernels),
    LUTRA_OP("vec.scale", kernels::vec::ScaleKernels),
    LUTRA_OP("vec.add", kernels::vec::AddKernels),
    LUTRA_OP("vec.mul", kernels::vec::MulKernels),
    LUTRA_OP("vec.silu", kernels::vec::SiluKernels),
    LUTRA_OP("rmsnorm", kernels::rmsnorm::RmsNormKernels),
    LUTRA_OP("softmax2p", kernels::softmax2p::TwoPassKernels),
    LUTRA_OP("softmax3p", kernels::softmax2p::ThreePassKernels),
    LUTRA_OP("softmax3s", kernels::softmax2p::StoredThreePassKernels),
    LUTRA_OP("attn.qk.f16", kernels::attn::QkF16Kernels),
    LUTRA_OP("attn.pv.f16", kernels::attn::PvF16Kernels),
    LUTRA_OP("attn.qk.f32", kernels::attn::QkF32Kernels),
    LUTRA_OP("attn.pv.f32", kernels::attn::PvF32Kernels),
    LUTRA_OP("attn.qk.bf16", kernels::attn::QkBf16Kernels),
    LUTRA_OP("attn.pv.bf16", kernels::attn::PvBf16Kernels),
    LUTRA_OP("f16.tof32", kernels::f16::ToF32Kernels),
    LUTRA_OP("f16.fromf32", kernels::f16::FromF32Kernels),
    LUTRA_OP("f16.dot", kernels::f16::DotKernels),
    LUTRA_OP("f16.axpy", kernels::f16::AxpyKernels),
    LUTRA_OP("packw.pack", kernels::packw::PackKernels),
    LUTRA_OP("packw.unpack", kernels::packw::UnpackKernels),
    LUTRA_OP("lutbuild.f32", kernels::lutbuild::BuildKernels),
    LUTRA_OP("lutbuild.a8", kernels::lutbuild::BuildExactKernels),
    LUTRA_OP("lutbuild.q8", kernels::lutbuild::BuildInt8Kernels),
    LUTRA_OP("lutbuild.q8b", kernels::lutbuild::BuildInt8BlocksKernels),
    LUTRA_LUTGEMM_OP("lutgemm.w1", 1, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w1.prefill", 1, false, true),
    LUTRA_LUTGEMM_OP("lutgemm.w2", 2, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w2.prefill", 2, false, true),
    LUTRA_LUTGEMM_OP("lutgemm.w3", 3, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w3.prefill", 3, false, true),
    LUTRA_LUTGEMM_OP("lutgemm.w4", 4, false, false),
    LUTRA_LUTGEMM_OP("lutgemm.w4.prefill", 4, false, true),
    LUTRA_LUTGEMM_OP("lutgemm.w1a8", 1, true, false),
    LUTRA_LUTGEMM_OP("lutgemm.w1a8.prefill", 1, true, true),
    LUTRA_LUTGEMM_OP("lutgemm.w2a8", 2, true, false),
    LUTRA_LUTGEMM_OP("lutgemm.w2a8.prefill", 2, true, true),
    LUTRA_LUTGEMM_OP("lutgemm.w3a8", 3, true, false),
    LUTRA_LUTGEMM_OP("lutgemm.w3a8.prefill", 3, true, true),
    LUTRA_LUTGEMM_OP("lutgemm.w4a8", 4, true, false),
    LUTRA_LUTGEMM_OP("lutgemm.w4a8.prefill", 4, true, true),
    // Exact ternary rows with one scale, in the 1.67-bit layout (decode and prefill).
    LUTRA_OP("ternary3", kernels::ternary3::AllKernels),
    // Block formats of up to 8 bits with 16- or 32-weight scales (Q8_0, Q5_x, Q6_K, ...).
    LUTRA_OP("q8block", kernels::q8block::AllKernels),
};

#undef LUTRA_OP
#undef LUTRA_LUTGEMM_OP

}  // namespace

std::span<const KernelOp> KernelOps() {
  return kOps;
}

}  // namespace lutra::engine
