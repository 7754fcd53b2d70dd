// Load-time check that a weight tensor holds only finite numbers: one NaN or Inf weight (or
// block scale) turns every activation it touches into NaN, so such a file is refused at load
// with the tensor and position named instead of producing garbage text (docs/reliability.md).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "engine/src/gguf/reader.h"

namespace lutra::engine::formats {

// Checks the values of F32/F16/BF16 tensors and the fp16 block scales (and mins) of the
// quantized types (their integer codes are always finite). Returns a description of the first
// non-finite value ("element 17 is NaN", "block 3 has scale +Inf"), or nothing. The tensor's
// byte count must match its type (CheckTensor in plan.cc). Reads the bytes once; the cost is a
// memory-bandwidth pass over the plain types and one load per block for the quantized ones.
std::optional<std::string> FindNonFinite(const gguf::TensorInfo& t);

}  // namespace lutra::engine::formats
