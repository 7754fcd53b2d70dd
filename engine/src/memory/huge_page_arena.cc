#include "engine/src/memory/huge_page_arena.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

namespace lutra::engine::memory {
namespace {

size_t RoundUp(size_t v, size_t to) {
  return (v + to - 1) / to * to;
}

}  // namespace

struct HugePageArena::Chunk {
  uint8_t* base = nullptr;
  size_t bytes = 0;
  ~Chunk() {
    if (base != nullptr) munmap(base, bytes);
  }
};

// Requests this large cannot be rounded up and padded for alignment without wrapping around
// (a 32-bit size_t reaches it with a KV cache of ~4 GB): refused like any failed mapping.
constexpr size_t kMaxRequest = SIZE_MAX - 2 * kHugePageBytes;

std::shared_ptr<HugePageArena::Chunk> HugePageArena::MapChunk(size_t bytes) {
  if (bytes > kMaxRequest) return nullptr;
  bytes = RoundUp(bytes, kHugePageBytes);
  // mmap only promises page alignment: map one huge page more and trim both ends.
  const size_t span = bytes + kHugePageBytes;
  void* raw = mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = RoundUp(start, kHugePageBytes);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = aligned + bytes;
  if (start + span > end) munmap(reinterpret_cast<void*>(end), start + span - end);
  auto chunk = std::make_shared<Chunk>();
  chunk->base = reinterpret_cast<uint8_t*>(aligned);
  chunk->bytes = bytes;
#ifdef MADV_HUGEPAGE
  // Advice only: without transparent huge pages the chunk works with ordinary pages.
  (void)madvise(chunk->base, bytes, MADV_HUGEPAGE);
#endif
  return chunk;
}

HugePageArena::HugePageArena(size_t chunk_bytes)
    : chunk_bytes_(RoundUp(chunk_bytes == 0 ? 1 : chunk_bytes, kHugePageBytes)) {}

std::shared_ptr<uint8_t> HugePageArena::Allocate(size_t bytes) {
  if (bytes > kMaxRequest) return nullptr;
  bytes = RoundUp(bytes == 0 ? 1 : bytes, 64);
  std::lock_guard<std::mutex> lock(mutex_);
  if (bytes > chunk_bytes_) {
    // A chunk of its own; the current chunk keeps serving the smaller requests.
    auto own = MapChunk(bytes);
    if (own == nullptr) return nullptr;
    mapped_ += own->bytes;
    return std::shared_ptr<uint8_t>(own, own->base);
  }
  if (current_ == nullptr || current_->bytes - used_ < bytes) {
    auto next = MapChunk(chunk_bytes_);
    if (next == nullptr) return nullptr;
    mapped_ += next->bytes;
    current_ = std::move(next);
    used_ = 0;
  }
  uint8_t* p = current_->base + used_;
  used_ += bytes;
  // Aliasing constructor: the pointer is p, the ownership is the chunk's.
  return std::shared_ptr<uint8_t>(current_, p);
}

bool TransparentHugePagesAvailable() {
  static const bool available = [] {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string line;
    if (!std::getline(f, line)) return false;
    return line.find("[always]") != std::string::npos ||
           line.find("[madvise]") != std::string::npos;
#else
    return false;
#endif
  }();
  return available;
}

bool WorthCopyingToHugePages(uint64_t bytes) {
  if (!TransparentHugePagesAvailable()) return false;
  std::ifstream f("/proc/meminfo");
  std::string line;
  constexpr std::string_view kKey = "MemAvailable:";
  while (std::getline(f, line)) {
    if (line.compare(0, kKey.size(), kKey) != 0) continue;
    const uint64_t kib = std::strtoull(line.c_str() + kKey.size(), nullptr, 10);  // "… kB"
    return bytes <= kib * 1024 / 2;
  }
  return false;  // unknown: stay mapped
}

size_t HugePageArena::mapped_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return mapped_;
}

std::shared_ptr<uint8_t> AllocateHugePageBacked(size_t bytes) {
  HugePageArena arena(bytes);
  return arena.Allocate(bytes);
}

}  // namespace lutra::engine::memory
