#include "engine/src/dispatch/kernel_config.h"

#include <iterator>
#include <map>
#include <memory>
#include <mutex>

namespace lutra::engine {
namespace {

namespace lutgemm = kernels::lutgemm;
using kernels::packw::PlaneOrder;

constexpr PlaneOrder kOrders[] = {PlaneOrder::kCanonical, PlaneOrder::kRowQuads};

const lutgemm::GemmKernel* Choose(arch::IsaSet f, uint32_t bits, LutMode mode, size_t n,
                                  std::optional<PlaneOrder> order) {
  if (mode == LutMode::kLookupOnly) {
    return order ? lutgemm::SelectLookup(f, bits, n, *order) : lutgemm::SelectLookup(f, bits, n);
  }
  const bool exact = mode == LutMode::kExact;
  return order ? lutgemm::Select(f, bits, exact, n, *order) : lutgemm::Select(f, bits, exact, n);
}

size_t Index(uint32_t bits, LutMode mode, Tokens tokens, size_t order_slot) {
  return (((bits - 1) * 3 + static_cast<size_t>(mode)) * 2 + static_cast<size_t>(tokens)) * 3 +
         order_slot;
}

}  // namespace

KernelConfig::KernelConfig(arch::IsaSet features)
    : features_(features),
      vec_(kernels::vec::Select(features)),
      rmsnorm_(kernels::rmsnorm::Select(features)),
      f16_(kernels::f16::Select(features)),
      attn_(kernels::attn::Select(features)),
      softmax2p_(kernels::softmax2p::Select(features)),
      softmax3s_(kernels::softmax2p::SelectForCachedRows(features)),
      q8block_(kernels::q8block::Select(features)),
      q4rows_(kernels::q4rows::Select(features)),
      lutbuild_(kernels::lutbuild::Select(features)),
      packw_(kernels::packw::Select(features)),
      ternary3_(kernels::ternary3::Select(features)),
      ternary2_(kernels::ternary2::Select(features)) {
  for (size_t f = 0; f < kquant_.size(); ++f) {
    kquant_[f] = kernels::kquant::Select(features, static_cast<kernels::kquant::Format>(f));
  }
  static_assert(kModes == 3 && kTokens == 2 && std::size(kOrders) + 1 == kOrderSlots,
                "Index() lays the lutgemm table out for these counts");
  for (uint32_t bits = 1; bits <= kBits; ++bits) {
    for (LutMode mode : {LutMode::kFloat, LutMode::kExact, LutMode::kLookupOnly}) {
      for (Tokens tokens : {Tokens::kOne, Tokens::kMany}) {
        const size_t n = tokens == Tokens::kOne ? 1 : SIZE_MAX;
        lutgemm_[Index(bits, mode, tokens, 0)] = Choose(features, bits, mode, n, std::nullopt);
        for (PlaneOrder order : kOrders) {
          lutgemm_[Index(bits, mode, tokens, 1 + static_cast<size_t>(order))] =
              Choose(features, bits, mode, n, order);
        }
      }
    }
  }
}

const KernelConfig& KernelConfig::For(arch::IsaSet features) {
  static std::mutex mutex;
  static std::map<arch::IsaSet, std::unique_ptr<const KernelConfig>> configs;
  std::lock_guard<std::mutex> lock(mutex);
  auto& config = configs[features];
  if (config == nullptr) config = std::make_unique<const KernelConfig>(features);
  return *config;
}

const lutgemm::GemmKernel* KernelConfig::LutGemm(uint32_t bits, LutMode mode, Tokens tokens,
                                                 std::optional<PlaneOrder> order) const {
  if (bits < 1 || bits > kBits) return nullptr;
  return lutgemm_[Index(bits, mode, tokens, order ? 1 + static_cast<size_t>(*order) : 0)];
}

LutKernels KernelConfig::Lut(uint32_t bits, LutMode mode, bool ternary_one_scale) const {
  LutKernels k;
  k.one = LutGemm(bits, mode, Tokens::kOne);
  if (k.one == nullptr) return k;
  if (mode == LutMode::kExact && ternary_one_scale && ternary3_preferred()) {
    // The matrix keeps the contract of the exact bit-plane kernel (any order, one token).
    k.many = k.one;
    k.ternary3 = ternary3_;
    return k;
  }
  k.many = LutGemm(bits, mode, Tokens::kMany, k.one->order);
  return k;
}

LutKernels KernelConfig::LutMapped(uint32_t bits, LutMode mode) const {
  LutKernels k;
  k.one = LutGemm(bits, mode, Tokens::kOne, PlaneOrder::kCanonical);
  if (k.one == nullptr) return k;
  k.many = LutGemm(bits, mode, Tokens::kMany, PlaneOrder::kCanonical);
  return k;
}

}  // namespace lutra::engine
