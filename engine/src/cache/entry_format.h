// The fixed header of a repack-cache entry (entry_file.h has the whole layout).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace lutra::engine::cache {

// Bumped whenever the header, the directory, a record's descriptor or the byte layout of any
// repacked array changes (kernels/packw, kernels/ternary3, q8block codes): it is part of every
// entry's key, so older entries are then stale and rebuilt. Kernel names are in the key too.
inline constexpr uint64_t kEntryFormatVersion = 1;

struct EntryHeader {
  uint64_t payload_bytes = 0;
  uint64_t directory_offset = 0;
  uint64_t directory_bytes = 0;
  uint64_t directory_hash = 0;
};

// The header's bytes: magic, version, the fields, a hash of all of them; kHeaderBytes long.
std::string EncodeHeader(const EntryHeader& h);
// nullopt when the bytes are not a complete header of this format version (wrong magic, other
// version, damaged fields).
std::optional<EntryHeader> DecodeHeader(const uint8_t* bytes, size_t size);

}  // namespace lutra::engine::cache
