#include "engine/src/formats/finite_check.h"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "engine/src/formats/iquant_formats.h"
#include "engine/src/formats/kquant_formats.h"
#include "engine/src/formats/tensor_formats.h"

namespace lutra::engine::formats {
namespace {

using gguf::TensorType;

// IEEE formats: a value is NaN or ±Inf exactly when all exponent bits are set.
constexpr uint32_t kF32Exp = 0x7f800000u;
constexpr uint16_t kF16Exp = 0x7c00u;
constexpr uint16_t kBf16Exp = 0x7f80u;

std::string Name(uint32_t bits, uint32_t exp_mask, uint32_t sign_bit) {
  if ((bits & ~(exp_mask | sign_bit)) != 0) return "NaN";
  return (bits & sign_bit) != 0 ? "-Inf" : "+Inf";
}

// First index in [0, n) whose `width`-byte word at src + i·stride has all `mask` bits set.
// Scanned in chunks with a branch-free test per chunk so that the common all-finite case runs
// at memory speed; the exact index is searched only inside a chunk that has a hit.
template <typename Word>
std::optional<size_t> FindExpAllOnes(const uint8_t* src, size_t n, size_t stride, Word mask) {
  constexpr size_t kChunk = 1024;
  for (size_t base = 0; base < n; base += kChunk) {
    const size_t end = base + kChunk < n ? base + kChunk : n;
    bool any = false;
    for (size_t i = base; i < end; ++i) {
      Word w;
      std::memcpy(&w, src + i * stride, sizeof w);
      any |= (w & mask) == mask;
    }
    if (!any) continue;
    for (size_t i = base; i < end; ++i) {
      Word w;
      std::memcpy(&w, src + i * stride, sizeof w);
      if ((w & mask) == mask) return i;
    }
  }
  return std::nullopt;
}

// The first block whose fp16 field at byte `field` is NaN or ±Inf, described.
std::optional<std::string> NonFiniteScale(const gguf::TensorInfo& t, const BlockFormat& f,
                                          size_t field, const char* what) {
  const size_t blocks = t.n_bytes / f.bytes;
  auto b = FindExpAllOnes<uint16_t>(t.data + field, blocks, f.bytes, kF16Exp);
  if (!b) return std::nullopt;
  uint16_t bits;
  std::memcpy(&bits, t.data + field + *b * f.bytes, 2);
  return "block " + std::to_string(*b) + " (weights " + std::to_string(*b * f.weights) + ".." +
         std::to_string((*b + 1) * f.weights - 1) + ") has " + what + " " +
         Name(bits, kF16Exp, 0x8000u);
}

}  // namespace

std::optional<std::string> FindNonFinite(const gguf::TensorInfo& t) {
  const BlockFormat f = FormatOf(t.type);
  if (f.weights == 0 || t.data == nullptr) return std::nullopt;
  if (t.type == TensorType::I2_S) {  // one fp32 scale, after the last block
    const float s = I2SScale(t.data, t.n_elements);
    if (std::isfinite(s)) return std::nullopt;
    uint32_t bits;
    std::memcpy(&bits, &s, 4);
    return "the tensor scale (offset " + std::to_string(t.n_elements / 4) + " in its data) is " +
           Name(bits, kF32Exp, 0x80000000u);
  }
  const size_t blocks = t.n_bytes / f.bytes;
  // Plain types: every element; quantized types: the fp16 scale of every block.
  size_t scale_at = 0;
  switch (t.type) {
    case TensorType::F32: {
      auto i = FindExpAllOnes<uint32_t>(t.data, blocks, 4, kF32Exp);
      if (!i) return std::nullopt;
      uint32_t bits;
      std::memcpy(&bits, t.data + *i * 4, 4);
      return "element " + std::to_string(*i) + " is " + Name(bits, kF32Exp, 0x80000000u);
    }
    case TensorType::F16:
    case TensorType::BF16: {
      const uint16_t exp = t.type == TensorType::F16 ? kF16Exp : kBf16Exp;
      auto i = FindExpAllOnes<uint16_t>(t.data, blocks, 2, exp);
      if (!i) return std::nullopt;
      uint16_t bits;
      std::memcpy(&bits, t.data + *i * 2, 2);
      return "element " + std::to_string(*i) + " is " + Name(bits, exp, 0x8000u);
    }
    case TensorType::Q8_0:
    case TensorType::Q4_0:
      scale_at = 0;  // fp16 d first
      break;
    case TensorType::TQ1_0:
    case TensorType::TQ2_0:
      scale_at = f.bytes - 2;  // fp16 d last
      break;
    case TensorType::IQ1_M: {
      // d spread over the top nibbles of the four scale words: gathered block by block.
      for (size_t b = 0; b < blocks; ++b) {
        const uint16_t bits = IQuantHalfBits(t.type, t.data + b * f.bytes);
        if ((bits & kF16Exp) != kF16Exp) continue;
        return "block " + std::to_string(b) + " (weights " + std::to_string(b * f.weights) + ".." +
               std::to_string((b + 1) * f.weights - 1) + ") has scale " +
               Name(bits, kF16Exp, 0x8000u);
      }
      return std::nullopt;
    }
    case TensorType::IQ2_XXS:
    case TensorType::IQ2_XS:
    case TensorType::IQ2_S:
    case TensorType::IQ3_XXS:
    case TensorType::IQ3_S:
    case TensorType::IQ1_S:
      scale_at = 0;  // fp16 d first
      break;
    default: {
      // The other formats: their fp16 d, and dmin / m where they have one.
      const KQuantFormat k = KQuantFormatOf(t.type);
      for (int i = 0; i < 2; ++i) {
        if (k.fp16_fields[i] == SIZE_MAX) continue;
        if (auto hit = NonFiniteScale(t, f, k.fp16_fields[i], i == 0 ? "scale" : "min")) return hit;
      }
      return std::nullopt;
    }
  }
  return NonFiniteScale(t, f, scale_at, "scale");
}

}  // namespace lutra::engine::formats
