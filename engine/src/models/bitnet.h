// BitNet b1.58 on the shared pre-norm decoder. Every layer matrix is a BitLinear: ternary
// weights (TQ1_0/TQ2_0 run through the int8-exact LUT path) times int8 per-token absmax
// activations, an optional per-tensor scale (blk.N.<matrix>.scale, one element) on the output,
// and an RMSNorm right before the two output projections (attn_sub_norm, ffn_sub_norm). The
// rope uses the NEOX pairing (llama.cpp's rope type for these architectures). Two layouts:
//   "bitnet"        the 2024 reproductions (1bitLLM bitnet_b1_58-*): SiLU-gated FFN, as
//                   llama.cpp's build_bitnet runs them (their config says hidden_act silu);
//   "bitnet-b1.58"  BitNet-b1.58-2B-4T (and "bitnet-25", the name its first GGUF release
//                   used): squared-ReLU-gated FFN (hidden_act relu2), usually tied embeddings.
// The token embedding and output head are not BitLinear and keep full-precision activations.
#pragma once

#include "engine/src/models/registry.h"

namespace lutra::engine::models {

Expected<models::HParams> BuildBitnet(const gguf::File& file, models::WeightStore& weights,
                                      graph::Graph* graph);
Expected<models::HParams> BuildBitnetB158(const gguf::File& file, models::WeightStore& weights,
                                          graph::Graph* graph);
Expected<models::HParams> BuildBitnet25(const gguf::File& file, models::WeightStore& weights,
                                        graph::Graph* graph);

}  // namespace lutra::engine::models
