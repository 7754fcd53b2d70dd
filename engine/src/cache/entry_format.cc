#include "engine/src/cache/entry_format.h"

#include <string_view>

#include "engine/src/cache/entry_file.h"
#include "engine/src/cache/hash.h"
#include "engine/src/common/byte_fields.h"

namespace lutra::engine::cache {

namespace {

constexpr std::string_view kMagic = "LUTRA-REPACK-CACHE";

}  // namespace

std::string EncodeHeader(const EntryHeader& h) {
  ByteFieldWriter w;
  w.Str(kMagic);
  w.U64(kEntryFormatVersion);
  w.U64(h.payload_bytes);
  w.U64(h.directory_offset);
  w.U64(h.directory_bytes);
  w.U64(h.directory_hash);
  std::string fields = w.Take();
  ByteFieldWriter check;
  check.U64(Hash64(fields));
  fields += check.Take();
  fields.resize(kHeaderBytes, '\0');
  return fields;
}

std::optional<EntryHeader> DecodeHeader(const uint8_t* bytes, size_t size) {
  if (size < kHeaderBytes) return std::nullopt;
  ByteFieldReader r(std::string_view(reinterpret_cast<const char*>(bytes), kHeaderBytes));
  if (r.Str() != kMagic || r.U64() != kEntryFormatVersion) return std::nullopt;
  EntryHeader h;
  h.payload_bytes = r.U64();
  h.directory_offset = r.U64();
  h.directory_bytes = r.U64();
  h.directory_hash = r.U64();
  const size_t fields = 8 + kMagic.size() + 5 * 8;
  const uint64_t want = r.U64();
  if (Hash64(bytes, fields) != want) return std::nullopt;
  if (h.directory_offset != kHeaderBytes + h.payload_bytes) return std::nullopt;
  return h;
}

}  // namespace lutra::engine::cache
