// Memory for data that lives as long as a model and is streamed on every token (the repacked
// weight matrices, the KV cache): 2 MiB-aligned chunks advised for transparent huge pages,
// handed out by bumping an offset.
//
// Why: decode reads every weight once per token, far more than the TLB covers with 4 KiB
// pages (a 400 MB model is 100k pages per token, and the hardware prefetchers stop at each
// 4 KiB boundary): a single thread reads faster from huge pages than from 4 KiB pages
// (lutra-kernel-bench memory/read_sum against memory/read_sum_4k; figures with the machine named
// in docs/measurements.md). One matrix per allocation would round each up to 2 MiB; packing many
// into shared chunks wastes at most the unused part of one huge page per chunk.
//
// Where the kernel has no transparent huge pages (disabled, or not Linux) the advice is
// ignored and the chunks are ordinary anonymous memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

namespace lutra::engine::memory {

// The huge page size the chunks are aligned to.
inline constexpr size_t kHugePageBytes = size_t{2} << 20;

class HugePageArena {
 public:
  // Chunks hold `chunk_bytes` (rounded up to kHugePageBytes); a larger request gets a chunk
  // of its own.
  explicit HugePageArena(size_t chunk_bytes = size_t{64} << 20);
  HugePageArena(const HugePageArena&) = delete;
  HugePageArena& operator=(const HugePageArena&) = delete;

  // `bytes` zero-initialised bytes aligned to 64. The pointer shares ownership of its chunk,
  // so it stays valid after the arena is gone; the chunk is unmapped with its last pointer.
  // Null when the system refuses the memory. Thread-safe.
  std::shared_ptr<uint8_t> Allocate(size_t bytes);

  // Address space of the chunks mapped so far (resident memory is only what was touched).
  size_t mapped_bytes() const;

 private:
  struct Chunk;
  static std::shared_ptr<Chunk> MapChunk(size_t bytes);

  const size_t chunk_bytes_;
  mutable std::mutex mutex_;
  std::shared_ptr<Chunk> current_;
  size_t used_ = 0;
  size_t mapped_ = 0;
};

// One allocation of its own (no sharing): for a single large block such as the KV cache.
std::shared_ptr<uint8_t> AllocateHugePageBacked(size_t bytes);

// Whether the kernel backs advised anonymous memory with transparent huge pages (Linux with
// THP "always" or "madvise"). Data that would only be copied to get huge pages (a file's
// matrices used as they are) is copied only then.
bool TransparentHugePagesAvailable();

// Whether `bytes` of a file's matrices should be copied into huge pages rather than read from
// the mapping: with transparent huge pages, and when they take at most half the memory
// available (MemAvailable). Mapped pages are clean: under memory pressure the kernel drops and
// re-reads them, where an anonymous copy of a model near the memory size could not be evicted
// without swap (on a board with little RAM, a model that runs mapped must not fail copied).
bool WorthCopyingToHugePages(uint64_t bytes);

}  // namespace lutra::engine::memory
