// One repack-cache entry on disk. Layout (little-endian):
//   [0, 4096)        header: magic, format version, payload size, where the directory is, the
//                    directory's hash, and a hash of these fields
//   [4096, +payload) the arrays, each at a 64-byte aligned offset (so they stay aligned when the
//                    payload is read to a 2 MiB-aligned buffer), zero padding between
//   directory        key, source path, records (name, kind, descriptor, arrays as offset and
//                    size in the payload), and one hash per 4 MiB chunk of the payload
// The header is written last and the file renamed into place only when complete, so a reader
// sees a whole entry or none; the hashes catch damage after that (bad sectors, a truncated
// copy, a crash before the data reached the disk: entries are not fsync'ed, since a damaged one
// is simply rebuilt).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "engine/src/common/status.h"

namespace lutra::engine::cache {

inline constexpr size_t kHeaderBytes = 4096;
inline constexpr size_t kChunkBytes = size_t{4} << 20;
inline constexpr size_t kArrayAlignment = 64;

struct ArrayView {
  const uint8_t* data = nullptr;
  size_t bytes = 0;
};

// Writes an entry to `path`.tmp.PID (created exclusively), renamed to `path` by Commit.
// Anything short of Commit leaves no file behind (the destructor removes the temporary).
// Full chunks are hashed and written by a background thread, so writing overlaps the
// repacking of the next matrices (a first load costs little more than one without the cache);
// at most a few chunks wait in memory.
class EntryWriter {
 public:
  static Expected<std::unique_ptr<EntryWriter>> Create(const std::string& path);
  ~EntryWriter();
  EntryWriter(const EntryWriter&) = delete;
  EntryWriter& operator=(const EntryWriter&) = delete;

  // Appends one record's arrays. IoError (disk full, file too large, ...): the writer is then
  // unusable; the caller abandons it.
  Status Add(std::string_view name, uint32_t kind, std::string_view descriptor,
             const std::vector<ArrayView>& arrays);
  // Writes the directory and header and renames the file into place.
  Status Commit(std::string_view key, std::string_view source);
  // Bytes written so far (payload).
  uint64_t payload_bytes() const { return offset_; }

 private:
  EntryWriter(std::string path, std::string temp, int fd);
  Status Write(const uint8_t* data, size_t bytes);  // through the chunk buffer
  Status FlushChunk();                              // hands the chunk to the thread
  Status NewChunk();                                // a spare buffer or a new one
  Status Drain();                                   // waits for every handed chunk
  void WriterLoop();

  std::string path_, temp_;
  int fd_ = -1;
  uint64_t offset_ = 0;  // payload bytes so far
  // A chunk's bytes: mapped memory of its own, not the heap. Long-lived 4 MiB heap blocks
  // between the load's large temporaries kept ~90 MiB of freed heap resident (glibc reuses but
  // cannot return memory under a live block).
  struct Chunk {
    std::shared_ptr<uint8_t> data;
    size_t size = 0;
  };
  Chunk chunk_;
  size_t chunks_handed_ = 0;
  std::vector<uint64_t> chunk_hashes_;  // by chunk index, filled by the thread

  // The background writer: chunks (index, bytes) in order; the first error stops it.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::pair<size_t, Chunk>> queue_;
  std::vector<Chunk> spare_;  // written chunks' buffers, reused
  bool stop_ = false;
  size_t in_flight_ = 0;
  std::string async_error_;
  std::thread thread_;
  std::string records_;  // encoded records
  uint64_t record_count_ = 0;
  bool committed_ = false;
};

struct EntryRecord {
  std::string name;
  uint32_t kind = 0;
  std::string descriptor;
  struct Array {
    uint64_t offset = 0, bytes = 0;
  };
  std::vector<Array> arrays;
};

// The header and directory of an entry, without its payload (listing the cache).
struct EntryInfo {
  std::string key, source;
  uint64_t payload_bytes = 0;
  std::vector<EntryRecord> records;
  std::vector<uint64_t> chunk_hashes;
};

// Reads an entry's header and directory from an open descriptor. InvalidModel names what is
// damaged (a stale or foreign file is detected by its key, not here).
Expected<EntryInfo> ReadEntryInfo(int fd, const std::string& path);

// An entry read whole: the payload in one huge-page-backed buffer whose chunk hashes matched.
class Entry {
 public:
  // IoError when the file cannot be read, InvalidModel when it is damaged.
  static Expected<std::unique_ptr<Entry>> Read(int fd, const std::string& path, EntryInfo info);
  const EntryInfo& info() const { return info_; }
  const EntryRecord* Find(std::string_view name) const;
  // Shares ownership of the payload buffer.
  std::shared_ptr<uint8_t> At(uint64_t offset) const {
    return std::shared_ptr<uint8_t>(payload_, payload_.get() + offset);
  }

 private:
  EntryInfo info_;
  std::shared_ptr<uint8_t> payload_;
};

}  // namespace lutra::engine::cache
