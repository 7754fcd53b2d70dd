// Shared helpers of the packw / lutbuild / lutgemm tests: random quantized matrices in the
// unpacked (row-major) form, packing into guarded buffers, and the test scale switch.
#pragma once

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/lutgemm/lutgemm.h"
#include "kernels/packw/packw.h"
#include "tests/testing/guarded_buffer.h"
#include "tests/testing/rng.h"
#include "tests/testing/variant_log.h"

namespace lutra::kernels::lut_testing {

// LUTRA_TEST_SCALE=small trims the shape lists (used under qemu, where every case costs ~50×).
inline bool SmallScale() {
  const char* v = std::getenv("LUTRA_TEST_SCALE");
  return v != nullptr && std::string(v) == "small";
}

struct QMatrix {
  packw::Shape shape;
  std::vector<uint8_t> q;
  std::vector<float> scale;
  std::vector<uint8_t> zero;  // asymmetric only
  bool uniform_scale = false;
  int32_t zero_point = -1;  // ≥ 0: every zero point is this value; kernels get no arrays
  packw::Unpacked view() const {
    return {q.data(), scale.data(), shape.asymmetric ? zero.data() : nullptr};
  }
};

enum class Codes { kRandom, kMax, kZero };

// Random codes, scales in [0.5, 2) (one per row when uniform), zero points in [0, 2^b).
// Ternary: b = 2, asymmetric, z = 1, codes in {0, 1, 2}. one_zero_point (asymmetric shapes):
// one random zero point for the whole matrix, passed to the kernels as Weights::zero_point.
inline QMatrix RandomMatrix(testing::Rng& rng, packw::Shape s, bool ternary, bool uniform,
                            Codes codes = Codes::kRandom, bool one_zero_point = false) {
  if (ternary) {
    s.bits = 2;
    s.asymmetric = true;
  }
  QMatrix m;
  m.shape = s;
  m.uniform_scale = uniform;
  const size_t groups = packw::Groups(s);
  const int max_code = ternary ? 2 : (1 << s.bits) - 1;
  m.q.resize(s.m * s.k);
  for (auto& v : m.q) {
    v = uint8_t(codes == Codes::kMax ? max_code : codes == Codes::kZero ? 0 : rng.Int(0, max_code));
  }
  m.scale.resize(s.m * groups);
  m.zero.resize(s.m * groups);
  const int one_zero = ternary ? 1 : rng.Int(0, (1 << s.bits) - 1);
  for (size_t r = 0; r < s.m; ++r) {
    const float row_scale = rng.Uniform(0.5f, 2.0f);
    for (size_t g = 0; g < groups; ++g) {
      m.scale[r * groups + g] = uniform ? row_scale : rng.Uniform(0.5f, 2.0f);
      m.zero[r * groups + g] =
          uint8_t(ternary || one_zero_point ? one_zero : rng.Int(0, (1 << s.bits) - 1));
    }
  }
  if (one_zero_point && s.asymmetric) m.zero_point = one_zero;
  return m;
}

// A packed matrix in guarded buffers (a kernel reading past any array faults), its bits in
// `order` (the order the kernel under test reads).
struct PackedMatrix {
  explicit PackedMatrix(const QMatrix& m, packw::PlaneOrder order = packw::PlaneOrder::kCanonical)
      : shape(m.shape),
        bits(packw::BitsBytes(m.shape)),
        scale(packw::ScaleCount(m.shape)),
        bias(packw::ScaleCount(m.shape)),
        zero(packw::ScaleCount(m.shape)),
        uniform(m.uniform_scale),
        zero_point(m.zero_point),
        order(order) {
    const auto ops = packw::Select(0);
    ops.pack->fn(shape, m.view(), {bits.data(), scale.data(), bias.data(), zero.data()});
    if (order == packw::PlaneOrder::kRowQuads) packw::ToRowQuads(bits.data(), bits.size());
  }
  lutgemm::Weights weights() const {
    // With one zero point the kernels must not touch the arrays: they get null pointers.
    const bool arrays = zero_point < 0;
    return {shape,
            {bits.data(), scale.data(), arrays ? bias.data() : nullptr,
             shape.asymmetric && arrays ? zero.data() : nullptr},
            uniform,
            zero_point,
            order};
  }
  packw::Shape shape;
  testing::GuardedBuffer<uint8_t> bits;
  testing::GuardedBuffer<float> scale, bias;
  testing::GuardedBuffer<uint8_t> zero;
  bool uniform;
  int32_t zero_point;
  packw::PlaneOrder order;
};

}  // namespace lutra::kernels::lut_testing
