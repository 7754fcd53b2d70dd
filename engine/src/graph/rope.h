// Rotary position embedding tables and their application (layout: see RopeSpec in graph.h).
// cos/sin are computed once per position in double and stored as float, so applying rope is
// two loads and four multiply-adds per pair, and positions far into the context are as
// accurate as the first ones.
#pragma once

#include <cstddef>
#include <vector>

#include "engine/src/graph/graph.h"

namespace lutra::engine::graph {

class RopeTable {
 public:
  RopeTable() = default;
  RopeTable(const RopeSpec& spec, size_t max_positions);

  // Rotates `heads` heads of head_dim floats at `x` (one token) for position `pos`.
  void Apply(size_t pos, size_t heads, size_t head_dim, float* x) const;
  size_t positions() const { return positions_; }

 private:
  size_t pairs_ = 0;
  size_t positions_ = 0;
  bool neox_ = false;
  std::vector<float> cos_sin_;  // [pos][pair][cos, sin]
};

}  // namespace lutra::engine::graph
