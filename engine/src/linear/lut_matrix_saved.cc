// LutMatrix::Save / Restore: the repack cache's view of a LUT matrix. The descriptor records
// how Create asked the kernel config (bits, mode, ternary rows with one scale) and what it got
// (kernel names, plane order), so Restore can ask again and refuse an entry this build would
// not have produced; array sizes follow from the shape and are checked before any kernel sees
// them.
#include <algorithm>

#include "engine/src/linear/lut_matrix.h"

namespace lutra::engine::linear {

namespace {

namespace packw = kernels::packw;
namespace t3 = kernels::ternary3;

constexpr uint64_t kBitPlanes = 0, kTernary3 = 1;

Status Mismatch(const std::string& what) {
  return InvalidModel("cache: LUT matrix entry does not match this build: " + what);
}

bool Aligned(const RestoredArray& a) {
  return reinterpret_cast<uintptr_t>(a.data.get()) % 64 == 0;
}

}  // namespace

std::optional<SavedLinear> LutMatrix::Save() const {
  if (!from_create_) return std::nullopt;
  const packw::Shape& s = weights_.shape;
  DescriptorWriter d;
  d.U64(t3_ != nullptr ? kTernary3 : kBitPlanes);
  d.U64(s.m);
  d.U64(s.k);
  d.U64(s.bits);
  d.U64(s.group);
  d.U64(s.asymmetric);
  d.U64(uint64_t(mode_));
  d.U64(ternary_one_scale_);
  d.U64(weights_.uniform_scale);
  d.U64(uint64_t(int64_t(weights_.zero_point)));
  d.U64(uint64_t(weights_.order));
  d.Str(gemm_->name);
  d.Str(gemm_many_->name);
  d.Str(t3_ != nullptr ? t3_->name : "");
  SavedLinear saved{SavedKind::kLut, d.Take(), {}};
  auto add = [&saved](const AlignedBytes& a) { saved.arrays.push_back({a.data(), a.size()}); };
  if (t3_ != nullptr) {
    add(t3_data_);
    add(t3_sign_sum_);
    add(scale_);
  } else {
    add(bits_);
    add(scale_);
    add(bias_);
    add(zero_);
  }
  return saved;
}

Status LutMatrix::Restore(std::string_view descriptor, const std::vector<RestoredArray>& arrays,
                          const KernelConfig& config, LutMatrix* out) {
  DescriptorReader d(descriptor);
  const uint64_t layout = d.U64();
  packw::Shape s;
  s.m = size_t(d.U64());
  s.k = size_t(d.U64());
  s.bits = uint32_t(d.U64());
  s.group = uint32_t(d.U64());
  s.asymmetric = d.U64() != 0;
  const uint64_t mode = d.U64();
  const bool ternary_one_scale = d.U64() != 0;
  const bool uniform_scale = d.U64() != 0;
  const int64_t zero_point = int64_t(d.U64());
  const uint64_t order = d.U64();
  const std::string one_name(d.Str()), many_name(d.Str()), t3_name(d.Str());
  if (!d.ok() || layout > kTernary3 || mode > uint64_t(LutMode::kLookupOnly) || zero_point < -1 ||
      zero_point > 15 || order > uint64_t(packw::PlaneOrder::kRowQuads)) {
    return Mismatch("malformed descriptor");
  }
  if (const char* msg = packw::Validate(s)) return Mismatch(msg);
  for (const RestoredArray& a : arrays) {
    if (a.bytes != 0 && !Aligned(a)) return Mismatch("unaligned array");
  }
  const LutKernels k = config.Lut(s.bits, LutMode(mode), ternary_one_scale);
  if (k.one == nullptr || one_name != k.one->name || many_name != k.many->name) {
    return Mismatch("kernels " + one_name + " / " + many_name + " are not this CPU's choice");
  }
  LutMatrix m;
  if (layout == kTernary3) {
    const size_t padded_rows = t3::Tiles(s.m) * t3::kTileRows;
    if (k.ternary3 == nullptr || t3_name != k.ternary3->name) {
      return Mismatch("ternary3 kernel " + t3_name + " is not this CPU's choice");
    }
    if (arrays.size() != 3 || arrays[0].bytes != t3::WeightBytes(s.m, s.k) ||
        arrays[1].bytes != padded_rows * sizeof(int32_t) ||
        arrays[2].bytes != padded_rows * sizeof(float)) {
      return Mismatch("ternary3 array sizes");
    }
    m.t3_data_ = AlignedBytes(arrays[0].data, arrays[0].bytes);
    m.t3_sign_sum_ = AlignedBytes(arrays[1].data, arrays[1].bytes);
    m.scale_ = AlignedBytes(arrays[2].data, arrays[2].bytes);
    m.t3_ = k.ternary3;
    m.t3_weights_ = {s.m, s.k, m.t3_data_.data(), reinterpret_cast<const float*>(m.scale_.data()),
                     reinterpret_cast<const int32_t*>(m.t3_sign_sum_.data())};
  } else {
    if (k.ternary3 != nullptr || uint64_t(k.one->order) != order) {
      return Mismatch("plane order or layout differs from this CPU's choice");
    }
    const size_t count = packw::ScaleCount(s);
    // Bias and zero points are kept only without one zero point for the whole matrix.
    const bool arrays_kept = s.asymmetric && zero_point < 0;
    if (arrays.size() != 4 || arrays[0].bytes != packw::BitsBytes(s) ||
        arrays[1].bytes != count * sizeof(float) ||
        arrays[2].bytes != (arrays_kept || !s.asymmetric ? count * sizeof(float) : 0) ||
        arrays[3].bytes != (arrays_kept ? count : 0)) {
      return Mismatch("bit-plane array sizes");
    }
    const int max_code = (1 << s.bits) - 1;
    if (zero_point > max_code ||
        (arrays_kept &&
         *std::max_element(arrays[3].data.get(), arrays[3].data.get() + count) > max_code)) {
      return Mismatch("zero point out of range");
    }
    m.bits_ = AlignedBytes(arrays[0].data, arrays[0].bytes);
    m.scale_ = AlignedBytes(arrays[1].data, arrays[1].bytes);
    m.bias_ = AlignedBytes(arrays[2].data, arrays[2].bytes);
    m.zero_ = AlignedBytes(arrays[3].data, arrays[3].bytes);
    m.weights_.data = {
        m.bits_.data(), reinterpret_cast<const float*>(m.scale_.data()),
        m.bias_.size() != 0 ? reinterpret_cast<const float*>(m.bias_.data()) : nullptr,
        m.zero_.size() != 0 ? m.zero_.data() : nullptr};
    m.weights_.order = k.one->order;
  }
  m.weights_.shape = s;
  m.weights_.uniform_scale = uniform_scale;
  m.weights_.zero_point = int32_t(zero_point);
  m.gemm_ = k.one;
  m.gemm_many_ = k.many;
  m.SelectBuilders(config);
  m.from_create_ = true;
  m.mode_ = LutMode(mode);
  m.ternary_one_scale_ = ternary_one_scale;
  *out = std::move(m);
  return Status::Ok();
}

}  // namespace lutra::engine::linear
