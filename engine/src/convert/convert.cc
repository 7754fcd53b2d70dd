#include "engine/src/convert/convert.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "arch/detect.h"
#include "engine/src/common/threadpool.h"
#include "engine/src/convert/metadata.h"
#include "engine/src/convert/quantize_matrix.h"
#include "engine/src/formats/tensor_encode.h"
#include "engine/src/formats/tensor_formats.h"
#include "engine/src/gguf/lutra_types.h"
#include "engine/src/gguf/output_path.h"
#include "engine/src/gguf/reader.h"
#include "engine/src/gguf/writer.h"
#include "engine/src/linear/linear.h"

namespace lutra::engine::convert {
namespace {

using gguf::TensorType;
using Clock = std::chrono::steady_clock;

constexpr size_t kChunkRows = 64;          // rows per task when decoding / encoding
constexpr uint32_t kPackedAlignment = 64;  // cache lines for the packed sections

// What happens to one tensor.
struct Plan {
  const gguf::TensorInfo* in = nullptr;
  Target target;
  uint32_t out_type = 0;
  gguf::PackedType packed;  // Target::Kind::kPacked
  bool lossless = false;    // packed from the source's own codes (Q4_0, TQ1_0, TQ2_0, I2_S)
};

std::string TypeName(TensorType t) {
  return gguf::TensorTypeName(uint32_t(t));
}

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// The pages of a converted input tensor are not needed again: dropping them keeps the resident
// memory at one tensor instead of the whole input (advice only; a failure is harmless).
void ReleasePages(const gguf::File& file, const gguf::TensorInfo& t) {
  if (!file.mapped() || t.n_bytes == 0) return;
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(t.data) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(t.data) + t.n_bytes) / page * page;
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

Expected<Plan> MakePlan(const gguf::TensorInfo& t, const std::vector<Rule>& rules,
                        const Target& wtype, const Options& o) {
  Plan p;
  p.in = &t;
  p.target = ChooseTarget(t, rules, wtype);
  p.out_type = uint32_t(t.type);
  const std::string who = "tensor '" + t.name + "' (" + TypeName(t.type) + ")";
  const bool readable = formats::FormatOf(t.type).weights != 0;
  switch (p.target.kind) {
    case Target::Kind::kCopy:
      return p;
    case Target::Kind::kGgml: {
      if (p.target.ggml == t.type) {
        p.target = Target{};
        return p;
      }
      if (!readable) {
        return InvalidModel(who + ": lutra-convert cannot read this type (readable: " +
                            formats::kReadableTypes + ")");
      }
      if (formats::EncodedBytes(p.target.ggml, size_t(t.shape[0])) == 0) {
        return InvalidArgument(who + ": rows of " + std::to_string(t.shape[0]) +
                               " weights are not whole " + TypeName(p.target.ggml) + " blocks");
      }
      p.out_type = uint32_t(p.target.ggml);
      return p;
    }
    case Target::Kind::kPacked:
      break;
  }
  if (t.shape.size() != 2) return InvalidArgument(who + ": packed types hold 2-D matrices only");
  if (t.name == "token_embd.weight") {
    return InvalidArgument(who +
                           ": the token embedding is read one row at a time and cannot be packed; "
                           "keep it in f32, f16, bf16, q8_0 or q4_0 (e.g. --keep "
                           "token_embd.weight=f16)");
  }
  if (!readable) {
    return InvalidModel(
        who + ": lutra-convert cannot read this type (readable: " + formats::kReadableTypes + ")");
  }
  const size_t k = size_t(t.shape[0]);
  gguf::PackedType& pt = p.packed;
  pt.bits = p.target.bits;
  if (p.target.ternary) {
    // Ternary: b = 2, z = 1; one absmean scale per tensor (BitNet b1.58), except for TQ1_0 /
    // TQ2_0 / I2_S sources, whose block scales carry over exactly (groups of 128).
    pt.group = 128;
    pt.asymmetric = pt.ternary = true;
    p.lossless =
        t.type == TensorType::TQ1_0 || t.type == TensorType::TQ2_0 || t.type == TensorType::I2_S;
    pt.uniform_scale = !p.lossless;
  } else {
    pt.group = o.group;
    pt.asymmetric = o.asymmetric;
    p.lossless = t.type == TensorType::Q4_0 && pt.bits == 4 && pt.group == 32 && pt.asymmetric;
    if (!p.lossless && o.outlier_fraction > 0.0 && k <= 65536) {
      pt.outliers = uint32_t(std::clamp<double>(std::lround(o.outlier_fraction * double(k)), 1,
                                                gguf::kMaxOutliersPerRow));
    }
  }
  gguf::PackedLayout layout;
  if (Status s = gguf::PackedTensorLayout(pt, t.shape, &layout); !s.ok())
    return s.failure(who + ": ");
  p.out_type = gguf::EncodePackedType(pt);
  return p;
}

// Decodes rows of any readable type to fp32 on the pool.
void Decode(const gguf::TensorInfo& t, ThreadPool& pool, float* out) {
  const size_t k = size_t(t.shape[0]), m = size_t(t.n_elements / k);
  pool.ParallelFor((m + kChunkRows - 1) / kChunkRows, [&](size_t c) {
    const size_t r0 = c * kChunkRows, n = std::min(m, r0 + kChunkRows) - r0;
    (void)linear::DequantizeRows(t, r0, n, out + r0 * k);  // checked by MakePlan
  });
}

class Converter {
 public:
  Converter(const gguf::File& file, const Options& o, const Callbacks& cb, Summary* summary)
      : file_(file),
        o_(o),
        cb_(cb),
        summary_(summary),
        kernels_(o.kernels != nullptr ? *o.kernels : KernelConfig::For(arch::Process().features)),
        pool_(o.threads) {
    for (const gguf::TensorInfo& t : file.tensors()) total_elements_ += t.n_elements;
  }

  bool stopped() const { return stopped_; }

  Status Produce(const Plan& p, size_t index, gguf::ByteSink& sink) {
    if (cb_.should_stop && cb_.should_stop()) {
      stopped_ = true;
      return IoError("stopped");
    }
    const auto t0 = Clock::now();
    const gguf::TensorInfo& t = *p.in;
    TensorReport r;
    r.index = index;
    r.count = file_.tensors().size();
    r.name = t.name;
    r.source_type = TypeName(t.type);
    r.target_type = gguf::TensorTypeName(p.out_type);
    r.elements = t.n_elements;
    double sq_err = 0.0, sq_norm = 0.0;
    if (p.target.kind == Target::Kind::kCopy) {
      if (!sink.put(t.data, t.n_bytes)) return IoError("write failed");
      r.bytes = t.n_bytes;
    } else if (p.target.kind == Target::Kind::kGgml) {
      if (Status s = Encode(p, &r.bytes, &sq_err, &sq_norm, sink); !s.ok()) return s;
    } else {
      if (Status s = Pack(p, &r.bytes, &sq_err, &sq_norm, &r.lossless, sink); !s.ok()) return s;
      r.quantized = true;
      summary_->quantized_elements += t.n_elements;
      summary_->quantized_bytes += r.bytes;
      summary_->squared_error += sq_err;
      summary_->squared_norm += sq_norm;
    }
    ReleasePages(file_, t);
    r.bits_per_weight = double(r.bytes) * 8.0 / double(t.n_elements);
    r.relative_error = sq_norm > 0.0 ? sq_err / sq_norm : 0.0;
    r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    summary_->tensors++;
    summary_->elements += t.n_elements;
    summary_->bytes += r.bytes;
    done_elements_ += t.n_elements;
    if (cb_.on_tensor) cb_.on_tensor(r);
    if (cb_.progress && total_elements_ > 0)
      cb_.progress(double(done_elements_) / double(total_elements_));
    return Status::Ok();
  }

 private:
  bool Stop() {
    if (!stopped_ && cb_.should_stop && cb_.should_stop()) stopped_ = true;
    return stopped_;
  }

  Status Encode(const Plan& p, uint64_t* bytes, double* sq_err, double* sq_norm,
                gguf::ByteSink& sink) {
    const gguf::TensorInfo& t = *p.in;
    const size_t k = size_t(t.shape[0]), m = size_t(t.n_elements / k);
    std::vector<float> w(t.n_elements);
    Decode(t, pool_, w.data());
    const size_t row_bytes = formats::EncodedBytes(p.target.ggml, k);
    std::vector<uint8_t> out(m * row_bytes);
    const size_t chunks = (m + kChunkRows - 1) / kChunkRows;
    std::vector<double> err(chunks), norm(chunks);
    const formats::BlockFormat f = formats::FormatOf(p.target.ggml);
    pool_.ParallelFor(chunks, [&](size_t c) {
      const size_t r0 = c * kChunkRows, n = std::min(m, r0 + kChunkRows) - r0;
      formats::EncodeWeights(p.target.ggml, w.data() + r0 * k, n * k, out.data() + r0 * row_bytes);
      std::vector<float> back(n * k);
      formats::DecodeBlocks(p.target.ggml, out.data() + r0 * row_bytes, n * k / f.weights,
                            back.data());
      double e = 0.0, s = 0.0;
      for (size_t i = 0; i < n * k; ++i) {
        const double x = w[r0 * k + i], d = x - double(back[i]);
        e += d * d, s += x * x;
      }
      err[c] = e, norm[c] = s;
    });
    for (size_t c = 0; c < chunks; ++c) *sq_err += err[c], *sq_norm += norm[c];
    if (Stop()) return IoError("stopped");
    if (!sink.put(out.data(), out.size())) return IoError("write failed");
    *bytes = out.size();
    return Status::Ok();
  }

  Status Pack(const Plan& p, uint64_t* bytes, double* sq_err, double* sq_norm, bool* lossless,
              gguf::ByteSink& sink) {
    const gguf::TensorInfo& t = *p.in;
    const size_t k = size_t(t.shape[0]), m = size_t(t.shape[1]);
    linear::AlignedBytes out;
    if (p.lossless) {
      if (Status s = Repack(p, &out); !s.ok()) return s;
      *lossless = true;
    } else {
      std::vector<float> w(t.n_elements);
      Decode(t, pool_, w.data());
      MatrixStats stats;
      Status s = QuantizeToPacked(
          w.data(), m, k, p.packed, o_.method, kernels_, pool_, [this] { return Stop(); }, &out,
          &stats);
      if (!s.ok()) {
        if (stopped_) return IoError("stopped");
        return s;
      }
      *sq_err = stats.squared_error;
      *sq_norm = stats.squared_norm;
    }
    if (Stop()) return IoError("stopped");
    if (!sink.put(out.data(), out.size())) return IoError("write failed");
    *bytes = out.size();
    return Status::Ok();
  }

  // Q4_0 → 4-bit asymmetric G32 (z = 8), TQ1_0/TQ2_0 → ternary G128: the file's codes and
  // scales, bit for bit.
  Status Repack(const Plan& p, linear::AlignedBytes* out) {
    const gguf::TensorInfo& t = *p.in;
    const size_t k = size_t(t.shape[0]), m = size_t(t.shape[1]);
    const formats::BlockFormat f = formats::FormatOf(t.type);
    const size_t blocks = m * k / f.weights;
    quantize::QuantizedMatrix q;
    q.q.resize(m * k);
    std::vector<float> block_scale(blocks);
    if (t.type == TensorType::Q4_0) {
      q.shape = {m, k, 4, 32, true};
      formats::Q4_0Codes(t.data, blocks, q.q.data(), block_scale.data());
      q.scale = std::move(block_scale);
      q.zero.assign(blocks, 8);
    } else {
      q.shape = {m, k, 2, 128, true};
      q.ternary = true;
      formats::TernaryCodes(t.type, t.data, blocks, q.q.data(), block_scale.data());
      if (*std::max_element(q.q.begin(), q.q.end()) > 2) {
        return InvalidArgument("tensor '" + t.name + "': invalid ternary code in the source");
      }
      const size_t per_block = f.weights / 128;
      q.scale.resize(per_block * blocks);
      for (size_t g = 0; g < q.scale.size(); ++g) q.scale[g] = block_scale[g / per_block];
      q.zero.assign(q.scale.size(), 1);
    }
    return PackQuantized(q, p.packed, kernels_, pool_, out);
  }

  const gguf::File& file_;
  const Options& o_;
  const Callbacks& cb_;
  Summary* summary_;
  const KernelConfig& kernels_;
  ThreadPool pool_;
  uint64_t total_elements_ = 0, done_elements_ = 0;
  bool stopped_ = false;
};

}  // namespace

Status CheckOptions(const Options& o) {
  if (o.group != 32 && o.group != 64 && o.group != 128) {
    return InvalidArgument("group size must be 32, 64 or 128 (got " + std::to_string(o.group) +
                           ")");
  }
  if (!(o.outlier_fraction >= 0.0 && o.outlier_fraction <= 0.1)) {
    return InvalidArgument("outlier fraction must be in [0, 0.1]");
  }
  if (o.threads == 0) return InvalidArgument("threads must be at least 1");
  auto wtype = ParseTarget(o.wtype);
  if (!wtype.ok()) return wtype.failure("--wtype: ");
  for (const std::string& k : o.keep) {
    auto r = ParseRule(k);
    if (!r.ok()) return r.failure();
  }
  return Status::Ok();
}

Status Convert(const std::string& input, const std::string& output, const Options& o,
               const Callbacks& cb, Summary* summary) {
  const auto start = Clock::now();
  *summary = Summary{};
  if (Status s = CheckOptions(o); !s.ok()) return s;
  auto wtype = ParseTarget(o.wtype);
  std::vector<Rule> rules;
  for (const std::string& k : o.keep) rules.push_back(*ParseRule(k));
  // Before any work: an output path that is a directory, FIFO or device is refused now, not
  // after the whole conversion (the writer checks again right before writing).
  if (auto target = gguf::ResolveOutputPath(output); !target.ok()) return target.failure();
  if (input == output || SameFile(input, output)) {
    return InvalidArgument("the output '" + output +
                           "' is the input file: refusing to overwrite it");
  }
  auto file = gguf::File::open(input);
  if (!file.ok()) return InvalidModel(file.error());
  if (Status s = file->require_tensors(); !s.ok()) return s;

  std::vector<Plan> plans;
  for (const gguf::TensorInfo& t : file->tensors()) {
    if (gguf::IsPackedTypeId(uint32_t(t.type))) {
      return InvalidModel(input + ": tensor '" + t.name +
                          "' is already lutra-packed: convert from the original model");
    }
    auto p = MakePlan(t, rules, *wtype, o);
    if (!p.ok()) return p.failure();
    plans.push_back(*p);
  }

  // Packed sections want 64-byte boundaries (docs/packed-format.md); a file of ggml types only
  // keeps GGUF's default 32 and no general.alignment key, as every GGUF tool expects.
  const bool packed = std::any_of(plans.begin(), plans.end(), [](const Plan& p) {
    return p.target.kind == Target::Kind::kPacked;
  });
  gguf::Writer writer(packed ? kPackedAlignment : gguf::Writer::kDefaultAlignment);
  if (Status s = CopyMetadata(*file, &writer); !s.ok()) return s.failure(input + ": ");
  if (packed) writer.set_u32(gguf::kPackingVersionKey, gguf::kPackingVersion);
  writer.set_string("lutra.convert.wtype", o.wtype);
  writer.set_string("lutra.convert.method", o.method == Method::kSearch ? "search" : "rtn");
  writer.set_u32("lutra.convert.group", o.group);
  writer.set_f32("lutra.convert.outlier_fraction", float(o.outlier_fraction));

  Converter conv(*file, o, cb, summary);
  for (size_t i = 0; i < plans.size(); ++i) {
    const Plan& p = plans[i];
    Status s = writer.add_tensor_stream(
        p.in->name, TensorType(p.out_type), p.in->shape,
        [&conv, &p, i](gguf::ByteSink& sink) { return conv.Produce(p, i, sink); });
    if (!s.ok()) return s;
  }
  Status s = writer.write(output);
  summary->stopped = conv.stopped();
  if (conv.stopped()) return IoError("stopped: conversion interrupted, nothing written");
  if (!s.ok()) return s;
  summary->seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return Status::Ok();
}

}  // namespace lutra::engine::convert
