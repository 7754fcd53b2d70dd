// Weight matrices stored in lutra's packed types (docs/packed-format.md), written by
// lutra-convert: the LUT kernels read the bit-planes, scales, bias and zero points straight from
// the file mapping (no copy, no repack) when they are 64-byte aligned there, as lutra-convert
// writes them; otherwise (a file read into memory, a foreign writer's alignment) they are
// copied once into aligned memory. Outlier corrections are applied after the lookup.
#pragma once

#include <memory>

#include "engine/src/gguf/reader.h"
#include "engine/src/linear/linear.h"

namespace lutra::engine::linear {

// Null when `file` holds no packed tensor or names the packing version this build reads; else
// the error to refuse the file with.
Status CheckPackingVersion(const gguf::File& file);

Expected<std::unique_ptr<Linear>> PlanPackedLinear(const gguf::TensorInfo& tensor,
                                                   const PlanOptions& options);

}  // namespace lutra::engine::linear
