// The kquant registry, best first within each format, scalar last, from the list (kernels.inc).
#include "kernels/common/select.h"
#include "kernels/kquant/variants.h"

namespace lutra::kernels::kquant {
namespace {

constexpr Kernels kKernels[] = {
#define LUTRA_KQUANT(name, isa, format) \
  LUTRA_IF_ISA(isa, {"lutra_kquant_" #name, LUTRA_ISA_LEVEL(isa), Format::k##format, name}, )
#include "kernels/kquant/kernels.inc"
};

void quantize__scalar(Format format, size_t k, const float* x, int8_t* q, float* scale,
                      int16_t* bsum) {
  Quantize(format, k, x, q, scale, bsum);
}

constexpr Quantizer kQuantizers[] = {
    LUTRA_IF_ISA(AVX512,
                 {"lutra_kquant_quantize__avx512", LUTRA_ISA_LEVEL(AVX512), quantize__avx512}, )
        LUTRA_IF_ISA(AVX2,
                     {"lutra_kquant_quantize__avx2", LUTRA_ISA_LEVEL(AVX2), quantize__avx2}, ){
            "lutra_kquant_quantize__scalar", LUTRA_ISA_LEVEL(SCALAR), quantize__scalar},
};

}  // namespace

std::span<const Quantizer> AllQuantizers() {
  return kQuantizers;
}

const Quantizer* SelectQuantizer(arch::IsaSet features) {
  return SelectFirstIf(AllQuantizers(), features, [](const Quantizer&) { return true; });
}

std::span<const Kernels> AllKernels() {
  return kKernels;
}

const Kernels* Select(arch::IsaSet features, Format format) {
  // Never null: each format's scalar variant needs no feature.
  return SelectFirstIf(AllKernels(), features,
                       [format](const Kernels& k) { return k.format == format; });
}

}  // namespace lutra::kernels::kquant
