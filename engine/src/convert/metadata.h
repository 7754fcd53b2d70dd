// Copies a GGUF file's metadata into a writer unchanged (every value type, arrays included),
// except the keys the converter owns (general.alignment, lutra.packing.*, lutra.convert.*).
#pragma once

#include "engine/src/common/status.h"
#include "engine/src/gguf/reader.h"
#include "engine/src/gguf/writer.h"

namespace lutra::engine::convert {

Status CopyMetadata(const gguf::File& in, gguf::Writer* out);

}  // namespace lutra::engine::convert
