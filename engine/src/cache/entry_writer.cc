#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "engine/src/cache/entry_file.h"
#include "engine/src/cache/entry_format.h"
#include "engine/src/cache/hash.h"
#include "engine/src/common/byte_fields.h"
#include "engine/src/memory/huge_page_arena.h"

namespace lutra::engine::cache {

namespace {

Status WriteAll(int fd, const uint8_t* data, size_t bytes, uint64_t offset,
                const std::string& path) {
  while (bytes > 0) {
    const ssize_t n = pwrite(fd, data, bytes, off_t(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return IoError("cache: writing " + path +
                     " failed: " + (n < 0 ? std::strerror(errno) : "no progress"));
    }
    data += n;
    bytes -= size_t(n);
    offset += uint64_t(n);
  }
  return Status::Ok();
}

}  // namespace

// Chunks waiting for the thread, beyond the one being filled: enough to ride out a slow
// write, few enough to stay a small fraction of the model's memory.
constexpr size_t kMaxQueuedChunks = 3;

EntryWriter::EntryWriter(std::string path, std::string temp, int fd)
    : path_(std::move(path)), temp_(std::move(temp)), fd_(fd) {
  thread_ = std::thread([this] { WriterLoop(); });
}

Expected<std::unique_ptr<EntryWriter>> EntryWriter::Create(const std::string& path) {
  std::string temp = path + ".tmp." + std::to_string(getpid());
  const int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cache: cannot create " + temp + ": " + std::strerror(errno));
  return std::unique_ptr<EntryWriter>(new EntryWriter(path, std::move(temp), fd));
}

EntryWriter::~EntryWriter() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
  if (fd_ >= 0) close(fd_);
  if (!committed_) unlink(temp_.c_str());
}

void EntryWriter::WriterLoop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopped with nothing left
    auto [index, chunk] = std::move(queue_.front());
    queue_.pop_front();
    const bool failed = !async_error_.empty() || stop_;
    lock.unlock();
    std::string error;
    uint64_t hash = 0;
    if (!failed) {
      hash = Hash64(chunk.data.get(), chunk.size);
      Status s =
          WriteAll(fd_, chunk.data.get(), chunk.size, kHeaderBytes + index * kChunkBytes, temp_);
      if (!s.ok()) error = s.error();
    }
    lock.lock();
    if (!failed) chunk_hashes_[index] = hash;
    if (!error.empty() && async_error_.empty()) async_error_ = error;
    chunk.size = 0;
    spare_.push_back(std::move(chunk));
    --in_flight_;
    changed_.notify_all();
  }
}

Status EntryWriter::NewChunk() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!spare_.empty()) {
    chunk_ = std::move(spare_.back());
    spare_.pop_back();
    return Status::Ok();
  }
  chunk_ = {memory::AllocateHugePageBacked(kChunkBytes), 0};
  if (chunk_.data == nullptr) return OutOfMemory("cache: no memory for a write buffer");
  return Status::Ok();
}

Status EntryWriter::FlushChunk() {
  if (chunk_.size == 0) return Status::Ok();
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return in_flight_ <= kMaxQueuedChunks; });
  if (!async_error_.empty()) return IoError(async_error_);
  chunk_hashes_.resize(chunks_handed_ + 1);
  queue_.emplace_back(chunks_handed_++, std::move(chunk_));
  chunk_ = Chunk();
  ++in_flight_;
  changed_.notify_all();
  return Status::Ok();
}

Status EntryWriter::Drain() {
  if (Status s = FlushChunk(); !s.ok()) return s;
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return in_flight_ == 0; });
  if (!async_error_.empty()) return IoError(async_error_);
  return Status::Ok();
}

Status EntryWriter::Write(const uint8_t* data, size_t bytes) {
  while (bytes > 0) {
    if (chunk_.data == nullptr) {
      if (Status s = NewChunk(); !s.ok()) return s;
    }
    const size_t n = std::min(bytes, kChunkBytes - chunk_.size);
    if (data != nullptr) {
      std::memcpy(chunk_.data.get() + chunk_.size, data, n);
      data += n;
    } else {
      std::memset(chunk_.data.get() + chunk_.size, 0, n);  // padding
    }
    chunk_.size += n;
    bytes -= n;
    offset_ += n;
    if (chunk_.size == kChunkBytes) {
      if (Status s = FlushChunk(); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

Status EntryWriter::Add(std::string_view name, uint32_t kind, std::string_view descriptor,
                        const std::vector<ArrayView>& arrays) {
  ByteFieldWriter r;
  r.Str(name);
  r.U64(kind);
  r.Str(descriptor);
  r.U64(arrays.size());
  for (const ArrayView& a : arrays) {
    const size_t pad = (kArrayAlignment - offset_ % kArrayAlignment) % kArrayAlignment;
    if (Status s = Write(nullptr, pad); !s.ok()) return s;
    r.U64(offset_);
    r.U64(a.bytes);
    if (Status s = Write(a.data, a.bytes); !s.ok()) return s;
  }
  records_ += r.Take();
  ++record_count_;
  return Status::Ok();
}

Status EntryWriter::Commit(std::string_view key, std::string_view source) {
  if (Status s = Drain(); !s.ok()) return s;
  ByteFieldWriter d;
  d.Str(key);
  d.Str(source);
  d.U64(record_count_);
  std::string directory = d.Take() + records_;
  ByteFieldWriter tail;
  tail.U64(chunk_hashes_.size());
  for (uint64_t h : chunk_hashes_) tail.U64(h);
  directory += tail.Take();
  const uint64_t directory_offset = kHeaderBytes + offset_;
  if (Status s = WriteAll(fd_, reinterpret_cast<const uint8_t*>(directory.data()), directory.size(),
                          directory_offset, temp_);
      !s.ok()) {
    return s;
  }
  EntryHeader h;
  h.payload_bytes = offset_;
  h.directory_offset = directory_offset;
  h.directory_bytes = directory.size();
  h.directory_hash = Hash64(directory);
  const std::string header = EncodeHeader(h);
  if (Status s =
          WriteAll(fd_, reinterpret_cast<const uint8_t*>(header.data()), header.size(), 0, temp_);
      !s.ok()) {
    return s;
  }
  if (close(fd_) != 0) {
    fd_ = -1;
    return IoError("cache: writing " + temp_ + " failed: " + std::strerror(errno));
  }
  fd_ = -1;
  if (rename(temp_.c_str(), path_.c_str()) != 0) {
    return IoError("cache: cannot rename " + temp_ + " to " + path_ + ": " + std::strerror(errno));
  }
  committed_ = true;
  return Status::Ok();
}

}  // namespace lutra::engine::cache
