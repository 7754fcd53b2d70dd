// Data-free weight quantization by clipping-range search (in the spirit of EasyQuant): for
// every group of G weights, try scales around the round-to-nearest one (below it: clipping
// the largest magnitudes) and keep the one with the smallest reconstruction error Σ(w − ŵ)², then
// refit the scale (and for asymmetric groups the offset) by least squares on the chosen codes. At
// 2–3 bits the largest weight of a group usually costs more error than clipping it: the
// round-to-nearest scale spends most levels on a range few weights use.
//
// The search always includes the round-to-nearest candidate, so no group ends up with a
// larger error than QuantizeRtn gives it. Output is the same QuantizedMatrix QuantizeRtn
// produces (row-major codes, per-group scales and zero points), ready for LutMatrix or the
// converter's packer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/src/common/threadpool.h"
#include "engine/src/quantize/round_to_nearest.h"

namespace lutra::engine::quantize {

struct RangeSearchOptions {
  // Candidate ranges r·(RTN range), r evenly spaced in [min_ratio, max_ratio], plus r = 1.
  // Ratios above 1 matter too: at 4 bits the error is jagged in the scale and a slightly
  // wider grid often places the bulk of the weights better.
  uint32_t steps = 64;
  float min_ratio = 0.35f;
  float max_ratio = 1.25f;
  // Least-squares refits of the scale (and offset) on the best candidate's codes.
  uint32_t refits = 2;
};

// Quantizes w (m rows of k, row-major) with `bits` ∈ 1..4 in groups of `group` ∈ {32, 64,
// 128} along k. Rows are split across `pool` when given. InvalidArgument (with a message naming
// the problem) on an invalid shape, option or a non-finite weight.
Status QuantizeRangeSearch(const float* w, size_t m, size_t k, uint32_t bits, uint32_t group,
                           bool asymmetric, const RangeSearchOptions& options, ThreadPool* pool,
                           quantize::QuantizedMatrix* out);

// Σ(w − ŵ)² of one quantized matrix against the original, in double: ŵ = s·(q − z), with
// z = (2^b − 1)/2 for symmetric matrices. For reports and tests.
double SquaredError(const float* w, const quantize::QuantizedMatrix& q);

}  // namespace lutra::engine::quantize
