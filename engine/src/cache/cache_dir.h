// The repack cache's directory: where it is, how big it may grow, its entries (newest use
// last), eviction of the least recently used ones, and clearing it. Entries are the files
// NAME.lrc; NAME.lrc.tmp.PID are entries being written, NAME.lock the lock of their writer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/src/common/status.h"

namespace lutra::engine::cache {

inline constexpr const char* kEntrySuffix = ".lrc";

// $LUTRA_CACHE_DIR, else $XDG_CACHE_HOME/lutra, else $HOME/.cache/lutra; "" when none is set.
std::string DefaultDir();

// The size cap: LUTRA_CACHE_MAX (bytes, with an optional K, M or G suffix, powers of 1024),
// default 10 GiB. InvalidArgument naming the variable when it is set to something else.
Expected<uint64_t> MaxBytes();

// Creates the directory and its missing parents (mode 0755). IoError naming the path.
Status EnsureDir(const std::string& dir);

struct DirEntry {
  std::string path, source;
  uint64_t bytes = 0;
  int64_t last_used = 0;  // the entry file's modification time: set on every hit
};

// The complete entries of `dir`, least recently used first (a missing directory has none).
// Entries whose header cannot be read are listed with an empty source.
Expected<std::vector<DirEntry>> ListEntries(const std::string& dir);

// Removes the least recently used entries until the directory's entries total at most
// `max_bytes`, never `keep`. Returns the bytes removed.
uint64_t Evict(const std::string& dir, uint64_t max_bytes, const std::string& keep);

// Removes every entry, temporary file and lock file of `dir`; returns the bytes removed.
Expected<uint64_t> Clear(const std::string& dir);

}  // namespace lutra::engine::cache
