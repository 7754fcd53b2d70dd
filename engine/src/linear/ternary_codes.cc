#include "engine/src/linear/ternary_codes.h"

#include <algorithm>
#include <string>

#include "engine/src/formats/tensor_formats.h"
#include "engine/src/linear/load_parallel.h"

namespace lutra::engine::linear {

Status DecodeTernary(const gguf::TensorInfo& t, const PlanOptions& options,
                     std::vector<uint8_t>* codes, std::vector<float>* block_scale) {
  const formats::BlockFormat f = formats::FormatOf(t.type);
  const size_t blocks = t.n_elements / f.weights;
  codes->resize(t.n_elements);
  block_scale->resize(blocks);
  if (t.type == gguf::TensorType::I2_S) {  // its one scale follows the last block: one piece
    formats::TernaryCodes(t.type, t.data, blocks, codes->data(), block_scale->data());
  } else {
    // Block ranges of about 1 MiB of source, decoded in parallel.
    const size_t per_slice = std::max<size_t>(1, (size_t(1) << 20) / f.bytes);
    ForEachSlice(options.pool, blocks, per_slice, [&](size_t b0, size_t b1) {
      formats::TernaryCodes(t.type, t.data + b0 * f.bytes, b1 - b0, codes->data() + b0 * f.weights,
                            block_scale->data() + b0);
    });
  }
  // TQ1_0 digits decode to 0..2 for every byte; TQ2_0 and I2_S have a spare code 3. A
  // vectorized maximum first; the search only on failure.
  if (!codes->empty() && *std::max_element(codes->begin(), codes->end()) > 2) {
    const auto bad = std::find_if(codes->begin(), codes->end(), [](uint8_t v) { return v > 2; });
    const size_t i = size_t(bad - codes->begin());
    return InvalidModel("tensor '" + t.name + "': invalid ternary code " + std::to_string(*bad) +
                        " at weight " + std::to_string(i) + " (offset " + std::to_string(t.offset) +
                        " in the data section)");
  }
  if (options.consumed) options.consumed(t.data, t.n_bytes);
  return Status::Ok();
}

bool UniformRowScales(size_t rows, size_t blocks_per_row, std::vector<float>& block_scale,
                      std::vector<uint8_t>& codes) {
  std::vector<float> row_scale(rows, 0.0f);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t b = 0; b < blocks_per_row; ++b) {
      const float v = block_scale[r * blocks_per_row + b];
      if (v == 0.0f) continue;
      if (row_scale[r] != 0.0f && v != row_scale[r]) return false;
      row_scale[r] = v;
    }
  }
  const size_t block = codes.size() / (rows * blocks_per_row);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t b = 0; b < blocks_per_row; ++b) {
      float& v = block_scale[r * blocks_per_row + b];
      if (v != 0.0f || row_scale[r] == 0.0f) continue;
      v = row_scale[r];
      const size_t first = (r * blocks_per_row + b) * block;
      std::fill(codes.begin() + first, codes.begin() + first + block, uint8_t{1});
    }
  }
  return true;
}

}  // namespace lutra::engine::linear
