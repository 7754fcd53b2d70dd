#include "engine/src/gguf/writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/src/gguf/lutra_types.h"
#include "engine/src/gguf/output_path.h"
#include "engine/src/gguf/reader.h"

namespace lutra::gguf {

namespace {

void put(std::vector<uint8_t>* out, const void* p, size_t n) {
  if (n == 0) return;
  const size_t at = out->size();
  out->resize(at + n);
  std::memcpy(out->data() + at, p, n);
}
template <typename T>
void put(std::vector<uint8_t>* out, T v) {
  put(out, &v, sizeof v);
}
void put_string(std::vector<uint8_t>* out, std::string_view s) {
  put<uint64_t>(out, s.size());
  put(out, s.data(), s.size());
}

}  // namespace

// Setting a key again replaces its value in place: a GGUF key appears once (readers refuse
// duplicates), and a copied key overridden by the caller keeps its position.
void Writer::store(std::string key, std::vector<uint8_t> value) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) {
      values_[i] = std::move(value);
      return;
    }
  }
  keys_.push_back(std::move(key));
  values_.push_back(std::move(value));
}

void Writer::scalar(std::string key, ValueType t, const void* p, size_t n) {
  std::vector<uint8_t> v;
  put<uint32_t>(&v, static_cast<uint32_t>(t));
  put(&v, p, n);
  store(std::move(key), std::move(v));
}

void Writer::set_string(std::string key, std::string_view s) {
  std::vector<uint8_t> v;
  put<uint32_t>(&v, static_cast<uint32_t>(ValueType::String));
  put_string(&v, s);
  store(std::move(key), std::move(v));
}

void Writer::set_array(std::string key, ValueType elem, const void* data, uint64_t count) {
  std::vector<uint8_t> v;
  put<uint32_t>(&v, static_cast<uint32_t>(ValueType::Array));
  put<uint32_t>(&v, static_cast<uint32_t>(elem));
  put<uint64_t>(&v, count);
  put(&v, data, count * value_type_size(static_cast<uint32_t>(elem)));
  store(std::move(key), std::move(v));
}

void Writer::set_string_array(std::string key, const std::vector<std::string>& strs) {
  std::vector<uint8_t> v;
  put<uint32_t>(&v, static_cast<uint32_t>(ValueType::Array));
  put<uint32_t>(&v, static_cast<uint32_t>(ValueType::String));
  put<uint64_t>(&v, strs.size());
  for (const auto& s : strs) put_string(&v, s);
  store(std::move(key), std::move(v));
}

// Checks name/type/shape and returns the tensor's byte size in *bytes.
Status TensorBytes(const std::string& name, TensorType type, const std::vector<uint64_t>& shape,
                   uint64_t* bytes) {
  if (IsPackedTypeId(static_cast<uint32_t>(type))) {
    const auto packed = DecodePackedType(static_cast<uint32_t>(type));
    if (!packed) return InvalidArgument("tensor '" + name + "': unknown lutra packed type");
    PackedLayout layout;
    if (Status s = PackedTensorLayout(*packed, shape, &layout); !s.ok()) {
      return s.failure("tensor '" + name + "': ");
    }
    *bytes = layout.total;
    return {};
  }
  const auto traits = type_traits(static_cast<uint32_t>(type));
  if (!traits) return InvalidArgument("tensor '" + name + "': unknown type");
  if (shape.empty() || shape.size() > 4)
    return InvalidArgument("tensor '" + name + "': need 1..4 dims");
  uint64_t elems = 1;
  for (uint64_t d : shape) {
    if (d == 0 || d > UINT64_MAX / elems)
      return InvalidArgument("tensor '" + name + "': bad shape");
    elems *= d;
  }
  if (shape[0] % traits->block_elems != 0 ||
      elems / traits->block_elems > (UINT64_MAX - traits->tail_bytes) / traits->block_bytes) {
    return InvalidArgument("tensor '" + name + "': shape does not fit type " +
                           std::string(traits->name));
  }
  *bytes = elems / traits->block_elems * traits->block_bytes + traits->tail_bytes;
  return {};
}

Status Writer::add_tensor(std::string name, TensorType type, std::vector<uint64_t> shape,
                          const void* data, uint64_t n_bytes) {
  uint64_t want = 0;
  if (Status s = TensorBytes(name, type, shape, &want); !s) return s;
  if (want != n_bytes) {
    return InvalidArgument("tensor '" + name + "': " + std::to_string(n_bytes) +
                           " bytes do not match its shape and type (" + std::to_string(want) +
                           " bytes)");
  }
  std::vector<uint8_t> bytes;
  put(&bytes, data, n_bytes);
  tensors_.push_back({std::move(name), type, std::move(shape), std::move(bytes), n_bytes, {}});
  return {};
}

Status Writer::add_tensor_stream(std::string name, TensorType type, std::vector<uint64_t> shape,
                                 TensorProducer produce) {
  uint64_t size = 0;
  if (Status s = TensorBytes(name, type, shape, &size); !s) return s;
  if (!produce) return InvalidArgument("tensor '" + name + "': no producer");
  tensors_.push_back({std::move(name), type, std::move(shape), {}, size, std::move(produce)});
  return {};
}

namespace {

// Creates the temporary file next to `target` exclusively (O_EXCL: never opens, truncates or
// follows anything already there): TARGET.tmp.PID, the name a program that removes its files
// on a signal can know in advance (docs/reliability.md), else TARGET.tmp.PID.N.
int CreateTemporary(const std::string& target, std::string* tmp) {
  const std::string base = target + ".tmp." + std::to_string(::getpid());
  for (int n = 0; n < 100; ++n) {
    *tmp = n == 0 ? base : base + "." + std::to_string(n);
    const int fd = ::open(tmp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0 || errno != EEXIST) return fd;
  }
  return -1;
}

}  // namespace

// general.alignment must agree with the layout written: readers place the data section and
// check every offset by it (llama.cpp's llama-quantize once copied a 64 from its input while
// writing at 32, and its output could not be read). The default 32 needs no key; any other
// alignment gets the key, added here unless the caller set it to the same value.
Status Writer::alignment_key(std::vector<uint8_t>* extra) const {
  if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0) {
    return InvalidArgument("alignment " + std::to_string(alignment_) + " is not a power of two");
  }
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] != kAlignmentKey) continue;
    const std::vector<uint8_t>& v = values_[i];
    uint32_t type = 0, value = 0;
    if (v.size() == 8) std::memcpy(&type, v.data(), 4), std::memcpy(&value, v.data() + 4, 4);
    if (type != uint32_t(ValueType::U32) || value != alignment_) {
      return InvalidArgument("key 'general.alignment' does not hold the file's alignment (u32 " +
                             std::to_string(alignment_) + ")");
    }
    return {};
  }
  if (alignment_ != kDefaultAlignment) {
    put_string(extra, kAlignmentKey);
    put<uint32_t>(extra, uint32_t(ValueType::U32));
    put<uint32_t>(extra, alignment_);
  }
  return {};
}

Status Writer::write(const std::string& path) const {
  // Before anything is produced: a directory, FIFO or device at `path` is refused here, not
  // discovered when the finished file cannot be renamed over it.
  auto target = ResolveOutputPath(path);
  if (!target.ok()) return target.failure();
  std::vector<uint8_t> alignment_kv;
  if (Status s = alignment_key(&alignment_kv); !s) return s.failure(path + ": ");
  std::vector<uint8_t> head;
  put<uint32_t>(&head, 0x46554747);
  put<uint32_t>(&head, 3);
  put<uint64_t>(&head, tensors_.size());
  put<uint64_t>(&head, keys_.size() + (alignment_kv.empty() ? 0 : 1));
  for (size_t i = 0; i < keys_.size(); ++i) {
    put_string(&head, keys_[i]);
    put(&head, values_[i].data(), values_[i].size());
  }
  put(&head, alignment_kv.data(), alignment_kv.size());
  const uint64_t a = alignment_;
  uint64_t off = 0;
  for (const Tensor& t : tensors_) {
    put_string(&head, t.name);
    put<uint32_t>(&head, static_cast<uint32_t>(t.shape.size()));
    for (uint64_t d : t.shape) put<uint64_t>(&head, d);
    put<uint32_t>(&head, static_cast<uint32_t>(t.type));
    put<uint64_t>(&head, off);
    off += (t.size + a - 1) / a * a;
  }
  if (!tensors_.empty()) head.resize((head.size() + a - 1) / a * a, 0);

  std::string tmp;
  const int fd = CreateTemporary(*target, &tmp);
  if (fd < 0) return IoError(tmp + ": cannot create: " + std::strerror(errno));
  auto write_all = [fd](const uint8_t* p, size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  };
  struct Sink final : ByteSink {
    std::function<bool(const uint8_t*, size_t)> write;
    uint64_t count = 0;
    bool ok = true;
    bool put(const void* p, size_t n) override {
      count += n;
      if (ok) ok = write(static_cast<const uint8_t*>(p), n);
      return ok;
    }
  };
  bool ok = write_all(head.data(), head.size());
  int err = errno;
  Status failure;  // a producer's error or a size mismatch
  const std::vector<uint8_t> zeros(a, 0);
  for (size_t i = 0; ok && i < tensors_.size(); ++i) {
    const Tensor& t = tensors_[i];
    if (t.produce) {
      Sink sink;
      sink.write = write_all;
      Status s = t.produce(sink);
      ok = sink.ok;
      err = errno;
      if (ok && !s) failure = s.failure("tensor '" + t.name + "': ");
      if (ok && s && sink.count != t.size) {
        failure = Internal("tensor '" + t.name + "': producer wrote " + std::to_string(sink.count) +
                           " bytes, expected " + std::to_string(t.size));
      }
      if (!failure.ok()) ok = false;
    } else {
      ok = write_all(t.data.data(), t.data.size());
    }
    const size_t pad = (a - t.size % a) % a;
    if (ok && pad > 0 && i + 1 < tensors_.size()) ok = write_all(zeros.data(), pad);
    if (!ok && failure.ok()) err = errno;
  }
  if (ok) err = errno;
  if (::close(fd) != 0 && ok) ok = false, err = errno;
  if (!ok) {
    ::unlink(tmp.c_str());
    if (!failure.ok()) return failure.failure(path + ": ");
    return IoError(tmp + ": write failed: " + std::strerror(err));
  }
  // Never leave behind a file lutra itself would refuse: the complete file is parsed again
  // (header, keys, tensor table and data ranges; the data is not read) before it replaces
  // the destination.
  if (auto f = File::open(tmp); !f.ok() || f->tensors().size() != tensors_.size()) {
    ::unlink(tmp.c_str());
    return IoError(path + ": the written file does not read back, not kept: " +
                   (f.ok() ? std::string("tensor count differs") : f.error()));
  }
  if (std::rename(tmp.c_str(), target->c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return IoError(path + ": cannot rename temporary file into place: " + std::strerror(e));
  }
  return {};
}

}  // namespace lutra::gguf
