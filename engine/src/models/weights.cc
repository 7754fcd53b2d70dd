#include "engine/src/models/weights.h"

#include <sys/mman.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <cstdint>
#include <optional>

#include "engine/src/formats/finite_check.h"
#include "engine/src/formats/tensor_formats.h"
#include "engine/src/gguf/lutra_types.h"
#include "engine/src/linear/linear_packed.h"

namespace lutra::engine::models {

using formats::FindNonFinite;
using linear::CheckPackingVersion;
using linear::DequantizeRows;
using linear::IsLoadableType;
using linear::Linear;
using linear::PlanLinear;
using linear::PlanOptions;
namespace {

std::string ShapeString(const std::vector<uint64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

WeightStore::WeightStore(const gguf::File& file, PlanOptions options,
                         std::function<void(double)> progress,
                         std::unique_ptr<cache::RepackCache> cache)
    : file_(file), options_(options), progress_(std::move(progress)), cache_(std::move(cache)) {
  options_.arena = &arena_;
  options_.consumed = [this](const uint8_t* data, size_t bytes) { ReleaseRange(data, bytes); };
  for (const gguf::TensorInfo& t : file_.tensors()) total_bytes_ += t.n_bytes;
  // A file read into memory (not mapped) is anonymous memory already, and its pages cannot be
  // dropped: a copy would only double it.
  options_.copy_in_place = file_.mapped() && memory::WorthCopyingToHugePages(total_bytes_);
}

Expected<const gguf::TensorInfo*> WeightStore::Find(const std::string& name,
                                                    std::vector<uint64_t> shape,
                                                    bool check_values) {
  const gguf::TensorInfo* t = file_.tensor(name);
  if (t == nullptr) return InvalidModel("model: missing tensor " + name);
  if (t->shape != shape) {
    return InvalidModel("model: tensor " + name + " has shape " + ShapeString(t->shape) +
                        ", expected " + ShapeString(shape) + " from the hyperparameters");
  }
  if (!IsLoadableType(t->type)) {
    return InvalidModel("model: tensor " + name + " has type " +
                        gguf::TensorTypeName(static_cast<uint32_t>(t->type)) +
                        ", which the runtime cannot load");
  }
  if (gguf::IsPackedTypeId(uint32_t(t->type)) && !packing_checked_) {
    if (Status s = CheckPackingVersion(file_); !s.ok()) return s.failure();
    packing_checked_ = true;
  }
  if (auto bad = check_values ? CheckFinite(*t) : std::nullopt) {
    return InvalidModel("model: tensor " + name + " has a non-finite value: " + *bad +
                        " (files with NaN or Inf weights are refused)");
  }
  used_.insert(name);
  return t;
}

Expected<const Linear*> WeightStore::Matrix(const std::string& name, size_t cols, size_t rows) {
  for (const auto& [n, l] : linears_) {
    if (n == name) return l.get();  // shared (tied embeddings reuse token_embd)
  }
  if (auto restored = Restore(name, cols, rows)) {
    planned_bytes_ += file_.tensor(name)->n_bytes;
    linears_.emplace_back(name, std::move(restored));
    if (progress_ && total_bytes_ > 0) progress_(double(planned_bytes_) / double(total_bytes_));
    return linears_.back().second.get();
  }
  auto t = Find(name, {cols, rows});
  if (!t.ok()) return t.failure();
  auto l = PlanLinear(**t, options_);
  if (!l.ok()) return l.failure();
  // A matrix that owns bytes has its own copy; one that owns none reads the mapping.
  if ((*l)->OwnedBytes() > 0) ReleasePages(**t);
  if (cache_ != nullptr && cache_->writing()) {
    if (std::optional<linear::SavedLinear> saved = (*l)->Save()) {
      std::vector<cache::ArrayView> arrays;
      for (const linear::SavedArray& a : saved->arrays) arrays.push_back({a.data, a.bytes});
      cache_->Add(name, uint32_t(saved->kind), saved->descriptor, arrays);
    }
  }
  // Repacks free their temporaries into the heap: hand the pages back now and then (a trim
  // walks the whole heap, so not after every matrix).
  repacked_since_trim_ += linears_.emplace_back(name, std::move(*l)).second->OwnedBytes();
  if (repacked_since_trim_ >= kTrimEveryBytes) {
    ReturnFreedHeap();
    repacked_since_trim_ = 0;
  }
  planned_bytes_ += (*t)->n_bytes;
  if (progress_ && total_bytes_ > 0) progress_(double(planned_bytes_) / double(total_bytes_));
  return linears_.back().second.get();
}

std::unique_ptr<Linear> WeightStore::Restore(const std::string& name, size_t cols, size_t rows) {
  const cache::Entry* entry = cache_ != nullptr ? cache_->entry() : nullptr;
  const cache::EntryRecord* record = entry != nullptr ? entry->Find(name) : nullptr;
  if (record == nullptr) return nullptr;
  auto t = Find(name, {cols, rows}, /*check_values=*/false);
  if (!t.ok()) {
    used_.erase(name);  // the normal path reports the error
    return nullptr;
  }
  linear::RestoredLinear saved{linear::SavedKind(record->kind), record->descriptor, {}};
  for (const cache::EntryRecord::Array& a : record->arrays) {
    saved.arrays.push_back({entry->At(a.offset), size_t(a.bytes)});
  }
  auto l = linear::RestoreLinear(**t, saved, options_);
  if (!l.ok()) {
    cache_->Reject(l.error());
    return nullptr;
  }
  return std::move(*l);
}

Expected<const float*> WeightStore::Vector(const std::string& name, size_t n) {
  auto t = Find(name, {n});
  if (!t.ok()) return t.failure();
  std::vector<float>& v = vectors_.emplace_back(n);
  Status s = DequantizeRows(**t, 0, 1, v.data());
  if (!s.ok()) return s.failure("model: " + name + ": ");
  return static_cast<const float*>(v.data());
}

Expected<const gguf::TensorInfo*> WeightStore::Table(const std::string& name, size_t cols,
                                                     size_t rows) {
  auto t = Find(name, {cols, rows});
  // Only a few rows of a table are read per token: the finiteness check must not leave all
  // of its pages resident (they fault back in from the file when a row is needed).
  if (t.ok()) ReleasePages(**t);
  return t;
}

std::optional<std::string> WeightStore::CheckFinite(const gguf::TensorInfo& t) const {
  const formats::BlockFormat f = formats::FormatOf(t.type);
  if (!file_.mapped() || f.weights == 0 || f.tail != 0 || t.n_bytes % f.bytes != 0) {
    return FindNonFinite(t);
  }
  const size_t blocks = t.n_bytes / f.bytes;
  const size_t per_slice = std::max<size_t>(1, kReleaseSliceBytes / f.bytes);
  for (size_t b = 0; b < blocks; b += per_slice) {
    gguf::TensorInfo slice = t;
    const size_t n = std::min(per_slice, blocks - b);
    slice.data = t.data + b * f.bytes;
    slice.n_bytes = n * f.bytes;
    slice.n_elements = n * f.weights;
    slice.shape = {slice.n_elements};
    // A hit: the whole tensor again, so the message counts from its start (a rare path).
    if (FindNonFinite(slice)) return FindNonFinite(t);
    ReleaseRange(slice.data, slice.n_bytes);
  }
  return std::nullopt;
}

void WeightStore::ReturnFreedHeap() {
#if defined(__GLIBC__)
  // A repack's temporaries (codes, scales: megabytes each) are freed into glibc's heap once
  // its mmap threshold has risen past their size; freed but fragmented, they stayed resident
  // and added up to ~90 MB at a TinyLlama load's peak, depending on where the heap happened to
  // lie. Handing free heap pages back every kTrimEveryBytes of repacked matrices keeps the
  // peak within that of what the model needs.
  (void)malloc_trim(0);
#endif
}

void WeightStore::ReleasePages(const gguf::TensorInfo& t) const {
  ReleaseRange(t.data, t.n_bytes);
}

void WeightStore::ReleaseRange(const uint8_t* data, size_t bytes) const {
  if (!file_.mapped()) return;  // read into memory: dropped pages would read back as zeros
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  // Only whole pages inside the range: neighbours may still be needed.
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) / page * page;
  if (end > begin) {
    // Advice only: a failure leaves the pages resident, which is harmless.
    (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
  }
}

Status WeightStore::CheckAllUsed() const {
  for (const gguf::TensorInfo& t : file_.tensors()) {
    if (!used_.count(t.name)) {
      return InvalidModel("model: tensor " + t.name + " is not used by the " +
                          "architecture's graph (unsupported variant of the model?)");
    }
  }
  return Status::Ok();
}

size_t WeightStore::OwnedBytes() const {
  size_t b = 0;
  for (const auto& [n, l] : linears_) b += l->OwnedBytes();
  for (const auto& v : vectors_) b += v.size() * sizeof(float);
  return b;
}

size_t WeightStore::StreamedBytes() const {
  size_t b = 0;
  for (const auto& [n, l] : linears_) b += l->StreamedBytes();
  for (const auto& v : vectors_) b += v.size() * sizeof(float);
  return b;
}

size_t WeightStore::MatmulWeights() const {
  size_t w = 0;
  for (const auto& [n, l] : linears_) w += l->rows() * l->cols();
  return w;
}

std::vector<std::string> WeightStore::Describe() const {
  std::vector<std::string> out;
  for (const auto& [n, l] : linears_) out.push_back(n + ": " + l->Describe());
  return out;
}

}  // namespace lutra::engine::models
