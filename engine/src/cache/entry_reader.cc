#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "engine/src/cache/entry_file.h"
#include "engine/src/cache/entry_format.h"
#include "engine/src/cache/hash.h"
#include "engine/src/common/byte_fields.h"
#include "engine/src/memory/huge_page_arena.h"

namespace lutra::engine::cache {

namespace {

Status ReadAll(int fd, uint8_t* data, size_t bytes, uint64_t offset, const std::string& path) {
  while (bytes > 0) {
    const ssize_t n = pread(fd, data, bytes, off_t(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cache: reading " + path + " failed: " + std::strerror(errno));
    if (n == 0) return InvalidModel("cache: " + path + " is truncated");
    data += n;
    bytes -= size_t(n);
    offset += uint64_t(n);
  }
  return Status::Ok();
}

Error Damaged(const std::string& path, const std::string& what) {
  return InvalidModel("cache: " + path + " is damaged: " + what);
}

}  // namespace

Expected<EntryInfo> ReadEntryInfo(int fd, const std::string& path) {
  struct stat st;
  if (fstat(fd, &st) != 0) return IoError("cache: cannot stat " + path);
  std::string header(kHeaderBytes, '\0');
  if (uint64_t(st.st_size) < kHeaderBytes) return Damaged(path, "shorter than its header");
  if (Status s = ReadAll(fd, reinterpret_cast<uint8_t*>(header.data()), kHeaderBytes, 0, path);
      !s.ok()) {
    return s.failure();
  }
  const auto h = DecodeHeader(reinterpret_cast<const uint8_t*>(header.data()), header.size());
  if (!h) return Damaged(path, "bad header (or another format version)");
  if (h->directory_offset + h->directory_bytes != uint64_t(st.st_size)) {
    return Damaged(path, "its size does not match its header");
  }
  std::string directory(size_t(h->directory_bytes), '\0');
  if (Status s = ReadAll(fd, reinterpret_cast<uint8_t*>(directory.data()), directory.size(),
                         h->directory_offset, path);
      !s.ok()) {
    return s.failure();
  }
  if (Hash64(directory) != h->directory_hash) return Damaged(path, "directory checksum");
  ByteFieldReader r(directory);
  EntryInfo info;
  info.key = std::string(r.Str());
  info.source = std::string(r.Str());
  info.payload_bytes = h->payload_bytes;
  // Counts are bounded by the directory's size before anything is reserved: every record
  // and array takes at least 8 bytes.
  const uint64_t records = r.U64();
  if (records > directory.size() / 8) return Damaged(path, "record count");
  info.records.resize(size_t(records));
  for (EntryRecord& rec : info.records) {
    rec.name = std::string(r.Str());
    rec.kind = uint32_t(r.U64());
    rec.descriptor = std::string(r.Str());
    const uint64_t arrays = r.U64();
    if (arrays > directory.size() / 16) return Damaged(path, "array count");
    rec.arrays.resize(size_t(arrays));
    for (EntryRecord::Array& a : rec.arrays) {
      a.offset = r.U64();
      a.bytes = r.U64();
      if (a.offset % kArrayAlignment != 0 || a.offset > h->payload_bytes ||
          a.bytes > h->payload_bytes - a.offset) {
        return Damaged(path, "array of " + rec.name + " outside the payload");
      }
    }
  }
  const uint64_t chunks = r.U64();
  if (chunks != (h->payload_bytes + kChunkBytes - 1) / kChunkBytes) {
    return Damaged(path, "chunk count");
  }
  info.chunk_hashes.resize(size_t(chunks));
  for (uint64_t& c : info.chunk_hashes) c = r.U64();
  if (!r.ok()) return Damaged(path, "directory fields");
  return info;
}

Expected<std::unique_ptr<Entry>> Entry::Read(int fd, const std::string& path, EntryInfo info) {
  auto entry = std::unique_ptr<Entry>(new Entry());
  const size_t bytes = size_t(info.payload_bytes);
  // Huge pages, like the repacked matrices of a load without the cache: decode streams them.
  entry->payload_ = memory::AllocateHugePageBacked(std::max<size_t>(bytes, 1));
  if (entry->payload_ == nullptr) {
    return OutOfMemory("cache: cannot allocate " + std::to_string(bytes) + " bytes for " + path);
  }
  // Chunk by chunk, each hashed while it is still in the cache hierarchy.
  for (size_t c = 0; c < info.chunk_hashes.size(); ++c) {
    const size_t at = c * kChunkBytes, n = std::min(kChunkBytes, bytes - at);
    uint8_t* dst = entry->payload_.get() + at;
    if (Status s = ReadAll(fd, dst, n, kHeaderBytes + at, path); !s.ok()) return s.failure();
    if (Hash64(dst, n) != info.chunk_hashes[c]) {
      return Damaged(path, "checksum of bytes " + std::to_string(at) + ".." +
                               std::to_string(at + n) + " of its payload");
    }
  }
  entry->info_ = std::move(info);
  return entry;
}

const EntryRecord* Entry::Find(std::string_view name) const {
  for (const EntryRecord& r : info_.records) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

}  // namespace lutra::engine::cache
