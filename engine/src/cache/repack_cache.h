// The repack cache of one load (docs/cache.md). The first load of a GGUF file writes every
// repacked matrix to an entry in the cache directory as it is planned; a later load of the
// unchanged file with the same kernel choice reads the entry into huge pages and restores the
// matrices from it instead of repacking. The cache never fails a load: whatever goes wrong
// (no directory, read-only or full disk, a damaged or stale entry, another process writing the
// same entry) ends in an in-memory repack and a warning for the caller to show.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/src/cache/entry_file.h"
#include "engine/src/gguf/reader.h"

namespace lutra::engine::cache {

enum class CacheResult { kUnused, kHit, kWritten, kFailed };

struct CacheSettings {
  bool enabled = false;
  std::string dir;  // "" = DefaultDir()
  // Whether the load repacks Q4_K matrices (PlanOptions::repack_q4_k) rather than using them in
  // place: only then does a Q4_K file have something worth keeping.
  bool q4_k_repacked = false;
  // Whether Q4_0 matrices are used in place (KernelConfig::q4_0_in_place): then a Q4_0 file
  // has nothing worth keeping either.
  bool q4_0_in_place = false;
};

class RepackCache {
 public:
  // `fingerprint` names everything besides the file that shapes the repacked forms: the build,
  // the kernels chosen for this CPU and the plan options. Null when the cache is off or the
  // file has nothing to repack.
  static std::unique_ptr<RepackCache> Open(const gguf::File& file, std::string_view fingerprint,
                                           const CacheSettings& settings);
  ~RepackCache();
  RepackCache(const RepackCache&) = delete;
  RepackCache& operator=(const RepackCache&) = delete;

  // The entry read for this load (a hit), or null.
  const Entry* entry() const { return entry_.get(); }
  // A record of the entry could not be restored: the entry is removed so the next load
  // rebuilds it (this load plans that matrix from the file).
  void Reject(const std::string& why);

  // True while a new entry is being written (a miss).
  bool writing() const { return writer_ != nullptr; }
  // Appends one matrix to the new entry; on failure stops writing (warning set).
  void Add(std::string_view name, uint32_t kind, std::string_view descriptor,
           const std::vector<ArrayView>& arrays);
  // Called once the model loaded: completes the new entry, evicts old ones over the cap and
  // lets go of the lock and the entry's directory (the restored matrices keep the payload).
  void Commit();

  CacheResult result() const { return result_; }
  const std::string& path() const { return path_; }
  const std::string& warning() const { return warning_; }

 private:
  RepackCache() = default;
  void Fail(const std::string& why);
  void Finish();
  void ReleaseLock();

  std::string path_, key_, source_, dir_;
  uint64_t max_bytes_ = 0;
  std::unique_ptr<Entry> entry_;
  std::unique_ptr<EntryWriter> writer_;
  int lock_fd_ = -1;
  CacheResult result_ = CacheResult::kUnused;
  std::string warning_;
  uint64_t records_ = 0;
};

}  // namespace lutra::engine::cache
