// Q4_K, Q5_K, Q6_K, Q3_K, Q2_K, Q8_0, Q5_0, Q4_0 (AVX-512 VNNI), IQ4_NL, IQ4_XS and the lattice
// i-quants' (IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M) matrices (the bulk of the
// k-quant and i-quant files and all of Q8_0 ones): multiplied by the kquant kernels on the file's
// own blocks, never repacked. They stream the file's bits per weight; the load copies the bytes
// once into huge pages where the kernel has transparent huge pages (decode reads them faster
// than the mapping's 4 KiB pages; the file's pages are dropped as they are copied) and else
// uses them mapped, and the repack cache has nothing to keep for them.
#pragma once

#include <memory>
#include <optional>

#include "engine/src/linear/linear.h"
#include "kernels/kquant/kquant.h"

namespace lutra::engine::linear {

// The kquant format of a tensor type; nullopt for the types the family does not read.
std::optional<kernels::kquant::Format> KQuantFormatOf(gguf::TensorType type);

// For tensors of those types (rows a multiple of their block, which PlanLinear has checked).
Expected<std::unique_ptr<Linear>> PlanKQuantLinear(const gguf::TensorInfo& tensor,
                                                   const PlanOptions& options);

}  // namespace lutra::engine::linear
