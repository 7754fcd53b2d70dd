#include "engine/src/formats/iquant_formats.h"

#include <optional>

#include "kernels/kquant/iq_fields.h"

namespace lutra::engine::formats {
namespace {

namespace kq = kernels::kquant;
using gguf::TensorType;

std::optional<kq::Format> GridFormat(TensorType type) {
  switch (type) {
    case TensorType::IQ2_XXS:
      return kq::Format::kIQ2XXS;
    case TensorType::IQ2_XS:
      return kq::Format::kIQ2XS;
    case TensorType::IQ2_S:
      return kq::Format::kIQ2S;
    case TensorType::IQ3_XXS:
      return kq::Format::kIQ3XXS;
    case TensorType::IQ3_S:
      return kq::Format::kIQ3S;
    case TensorType::IQ1_S:
      return kq::Format::kIQ1S;
    case TensorType::IQ1_M:
      return kq::Format::kIQ1M;
    default:
      return std::nullopt;
  }
}

}  // namespace

IQuantFormat IQuantFormatOf(TensorType type) {
  const std::optional<kq::Format> f = GridFormat(type);
  if (!f) return {};
  return {uint32_t(kq::kSuperBlock), uint32_t(kq::BlockBytes(*f))};
}

uint16_t IQuantHalfBits(TensorType type, const uint8_t* block) {
  const std::optional<kq::Format> f = GridFormat(type);
  return f ? kq::IqHalfBits(*f, block) : 0;
}

// w = factor·scale·code, the formats' own arithmetic (iq_fields.h): factor·scale is d times a
// small odd integer and a power of two, exact in fp32, so each weight is one rounding of
// llama.cpp's value (which rounds db first, then db·grid·sign: the same product).
void DecodeIQuantBlocks(TensorType type, const uint8_t* src, size_t blocks, float* out) {
  const std::optional<kq::Format> f = GridFormat(type);
  if (!f) return;  // callers check IQuantFormatOf first
  int8_t q[kq::kSuperBlock];
  uint8_t sc[16];
  for (size_t b = 0; b < blocks; ++b, src += kq::BlockBytes(*f), out += kq::kSuperBlock) {
    kq::IqDecode(*f, src, q, sc);
    const float factor = kq::IqFactor(*f, src);
    for (size_t i = 0; i < kq::kSuperBlock; ++i) out[i] = factor * float(sc[i / 16]) * float(q[i]);
  }
}

}  // namespace lutra::engine::formats
