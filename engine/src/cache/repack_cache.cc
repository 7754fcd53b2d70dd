#include "engine/src/cache/repack_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "engine/src/cache/cache_dir.h"
#include "engine/src/cache/hash.h"
#include "engine/src/gguf/lutra_types.h"

namespace lutra::engine::cache {

namespace {

// Samples of the data section that go into the source's identity: a file rewritten in place
// with the same size and time (rare, but tools that restore times exist) still changes them.
constexpr size_t kSamples = 64, kSampleBytes = 4096;

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) != nullptr ? std::string(buf) : path;
}

// Whether loading the file repacks anything worth keeping: quantized block types, except
// F32/F16/BF16 (the dense path), lutra-packed types (used from the mapping) and the block types
// whose repack runs at memory speed (Q5_1: linear_q8block.cc does not save it), and the types
// the kquant kernels read in place (linear_kquant.h: the k-quants, Q8_0, Q5_0, IQ4_NL, IQ4_XS
// and the lattice i-quants; Q4_0 where the kernels read it in place).
bool RepacksSomething(const gguf::File& file, bool q4_k_repacked, bool q4_0_in_place) {
  for (const gguf::TensorInfo& t : file.tensors()) {
    if (t.shape.size() != 2) continue;
    if (t.type == gguf::TensorType::Q4_K && q4_k_repacked) return true;
    if (t.type == gguf::TensorType::Q4_0 && q4_0_in_place) continue;
    switch (t.type) {
      case gguf::TensorType::F32:
      case gguf::TensorType::F16:
      case gguf::TensorType::BF16:
      case gguf::TensorType::Q8_0:
      case gguf::TensorType::Q5_0:
      case gguf::TensorType::Q5_1:
      case gguf::TensorType::Q2_K:
      case gguf::TensorType::Q3_K:
      case gguf::TensorType::Q4_K:
      case gguf::TensorType::Q5_K:
      case gguf::TensorType::Q6_K:
      case gguf::TensorType::IQ4_NL:
      case gguf::TensorType::IQ4_XS:
      case gguf::TensorType::IQ2_XXS:
      case gguf::TensorType::IQ2_XS:
      case gguf::TensorType::IQ2_S:
      case gguf::TensorType::IQ3_XXS:
      case gguf::TensorType::IQ3_S:
      case gguf::TensorType::IQ1_S:
      case gguf::TensorType::IQ1_M:
        continue;
      default:
        if (!gguf::IsPackedTypeId(uint32_t(t.type))) return true;
    }
  }
  return false;
}

// The source's identity: what it is (size, header, samples) and when it was written.
Expected<std::string> Identity(const std::string& real_path, const gguf::File& file) {
  const int fd = open(real_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cache: cannot open " + real_path + ": " + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return IoError("cache: cannot stat " + real_path);
  }
  const uint64_t size = uint64_t(st.st_size);
  std::vector<uint8_t> buf(std::max<size_t>(kSampleBytes, size_t(file.data_offset())));
  uint64_t h = 0;
  auto hash_range = [&](uint64_t at, size_t n) {
    const ssize_t got = pread(fd, buf.data(), n, off_t(at));
    h = Hash64(buf.data(), got > 0 ? size_t(got) : 0, h);
  };
  hash_range(0, size_t(file.data_offset()));
  const uint64_t data = file.data_offset(), span = size > data ? size - data : 0;
  for (size_t i = 0; i < kSamples && span > 0; ++i) {
    hash_range(data + span / kSamples * i, size_t(std::min<uint64_t>(kSampleBytes, span)));
  }
  close(fd);
  return "size " + std::to_string(size) + "\nmtime " + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + "\ncontent " + Hex64(h) + "\n";
}

void RemoveOrphanTemporaries(const std::string& dir, const std::string& prefix) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  while (const dirent* e = readdir(d)) {
    if (std::string_view(e->d_name).substr(0, prefix.size()) == prefix) {
      (void)unlink((dir + "/" + e->d_name).c_str());
    }
  }
  closedir(d);
}

}  // namespace

std::unique_ptr<RepackCache> RepackCache::Open(const gguf::File& file, std::string_view fingerprint,
                                               const CacheSettings& settings) {
  if (!settings.enabled || !RepacksSomething(file, settings.q4_k_repacked, settings.q4_0_in_place))
    return nullptr;
  std::unique_ptr<RepackCache> c(new RepackCache());
  c->dir_ = settings.dir.empty() ? DefaultDir() : settings.dir;
  auto max = MaxBytes();
  if (!max.ok()) {
    c->Fail(max.error());
    return c;
  }
  c->max_bytes_ = *max;
  if (Status s = EnsureDir(c->dir_); !s.ok()) {
    c->Fail(s.error());
    return c;
  }
  c->source_ = RealPath(file.path());
  auto identity = Identity(c->source_, file);
  if (!identity.ok()) {
    c->Fail(identity.error());
    return c;
  }
  c->key_ = "lutra repack cache\nsource " + c->source_ + "\n" + *identity + "config " +
            std::string(fingerprint) + "\n";
  // Named by source path and config, so a changed file replaces its entry rather than leaving
  // an orphan; its content identity is checked against the key stored inside.
  const std::string name = Hex64(Hash64(c->source_ + "\n" + std::string(fingerprint)));
  c->path_ = c->dir_ + "/" + name + kEntrySuffix;

  std::string note;  // why an existing entry is not used
  if (const int fd = open(c->path_.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    auto info = ReadEntryInfo(fd, c->path_);
    if (info.ok() && info->key == c->key_) {
      auto entry = Entry::Read(fd, c->path_, std::move(*info));
      if (entry.ok()) {
        (void)futimens(fd, nullptr);  // the last use, for LRU eviction
        close(fd);
        c->entry_ = std::move(*entry);
        c->result_ = CacheResult::kHit;
        return c;
      }
      note = entry.error();
    } else {
      note = info.ok() ? "" : info.error();  // a stale entry (the file changed) is no news
    }
    close(fd);
  }

  // A miss: build a new entry while planning, if there is room and nobody else is at it.
  uint64_t tensor_bytes = 0;
  for (const gguf::TensorInfo& t : file.tensors()) tensor_bytes += t.n_bytes;
  // Repacked forms take up to ~1.4x the file's bytes (4-bit with fp32 scales and mins).
  const uint64_t estimate = tensor_bytes / 2 * 3;
  if (estimate > c->max_bytes_) {
    c->Fail("this model's entry (about " + std::to_string(estimate >> 20) +
            " MiB) would exceed the cache's cap of " + std::to_string(c->max_bytes_ >> 20) +
            " MiB (LUTRA_CACHE_MAX)");
    return c;
  }
  struct statvfs fs;
  if (statvfs(c->dir_.c_str(), &fs) == 0 &&
      uint64_t(fs.f_bavail) * fs.f_frsize < estimate + (uint64_t{256} << 20)) {
    c->Fail("not enough free space in " + c->dir_ + " (" +
            std::to_string((uint64_t(fs.f_bavail) * fs.f_frsize) >> 20) + " MiB free, the entry " +
            "needs about " + std::to_string(estimate >> 20) + " MiB)");
    return c;
  }
  const std::string lock = c->dir_ + "/" + name + ".lock";
  c->lock_fd_ = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (c->lock_fd_ < 0) {
    c->Fail("cannot create " + lock + ": " + std::strerror(errno));
    return c;
  }
  if (flock(c->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    c->Fail("another process is writing " + c->path_ + " (this load repacks privately)");
    return c;
  }
  // Holding the lock, no other process is writing this entry: a temporary file of it is what
  // a killed writer left (Ctrl-C during a first load), as large as the entry. Remove it.
  RemoveOrphanTemporaries(c->dir_, name + kEntrySuffix + ".tmp.");
  auto writer = EntryWriter::Create(c->path_);
  if (!writer.ok()) {
    c->Fail(writer.error());
    return c;
  }
  c->writer_ = std::move(*writer);
  if (!note.empty()) c->warning_ = note + "; rebuilding it";
  return c;
}

RepackCache::~RepackCache() {
  writer_.reset();  // an uncommitted entry's temporary file is removed
  ReleaseLock();
}

void RepackCache::Fail(const std::string& why) {
  writer_.reset();
  ReleaseLock();
  result_ = CacheResult::kFailed;
  warning_ = why + "; repacked in memory";
}

void RepackCache::Reject(const std::string& why) {
  (void)unlink(path_.c_str());
  entry_.reset();
  result_ = CacheResult::kFailed;
  warning_ = "removed " + path_ + ": " + why + " (the next load rebuilds it)";
}

void RepackCache::Add(std::string_view name, uint32_t kind, std::string_view descriptor,
                      const std::vector<ArrayView>& arrays) {
  if (writer_ == nullptr) return;
  if (Status s = writer_->Add(name, kind, descriptor, arrays); !s.ok()) {
    Fail(s.error());
    return;
  }
  ++records_;
}

void RepackCache::Commit() {
  entry_.reset();  // the restored matrices keep the payload; the directory is done with
  Finish();
}

void RepackCache::Finish() {
  ReleaseLock();
  if (writer_ == nullptr) return;
  if (records_ == 0) {  // nothing was repacked after all
    writer_.reset();
    return;
  }
  if (Status s = writer_->Commit(key_, source_); !s.ok()) {
    Fail(s.error());
    return;
  }
  writer_.reset();
  result_ = CacheResult::kWritten;
  Evict(dir_, max_bytes_, path_);
}

void RepackCache::ReleaseLock() {
  if (lock_fd_ >= 0) close(lock_fd_);
  lock_fd_ = -1;
}

}  // namespace lutra::engine::cache
