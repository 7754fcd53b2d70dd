// Weights kept in high precision (F32, F16, BF16, Q8_0) and the block formats the lookup
// kernels cannot take losslessly (Q5_0, Q5_1, Q2_K, Q3_K, Q5_K, Q6_K): decoded to fp32 once at load
// and multiplied by XNNPACK's fully-connected operator, which packs them for this CPU's GEMM
// microkernels. F16/BF16/Q8_0 therefore cost 4 bytes per weight in memory; the runtime keeps
// only small tensors (norms, embeddings looked up row by row, an occasional output head) in
// these types, and lutra-convert moves large ones to packed low-bit types.
// Where XNNPACK cannot run (Debian's riscv64 build executes V instructions unconditionally, so
// a riscv64 core without V would die of SIGILL), the rows go through lutra's own vec dot
// kernels instead, split across the pool.
#pragma once

#include <memory>

#include "engine/src/model/linear.h"

namespace lutra::engine::model {

Expected<std::unique_ptr<Linear>> PlanDenseLinear(const gguf::TensorInfo& tensor,
                                                  const PlanOptions& options);

}  // namespace lutra::engine::model
