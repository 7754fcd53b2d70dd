// Test buffers that catch out-of-bounds access by kernels.
//
// The data ends exactly at a PROT_NONE page, so any read or write past the end faults at once;
// a canary run before the start catches writes below it (checked by Intact()).
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace lutra::testing {

template <typename T>
class GuardedBuffer {
 public:
  explicit GuardedBuffer(size_t count) : count_(count) {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t bytes = count * sizeof(T) + kCanaryBytes;
    data_pages_ = (bytes + page_ - 1) / page_ * page_;
    map_bytes_ = data_pages_ + page_;
    void* map = mmap(nullptr, map_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
    if (map == MAP_FAILED) std::abort();
    base_ = static_cast<uint8_t*>(map);
    mprotect(base_ + data_pages_, page_, PROT_NONE);
    // End-aligned: data ends at the guard page. T's alignment still holds because the page
    // size is a multiple of sizeof(T) for every element type used in tests.
    data_ = reinterpret_cast<T*>(base_ + data_pages_ - count * sizeof(T));
    std::memset(base_, kCanary, data_pages_ - count * sizeof(T));
  }
  ~GuardedBuffer() { munmap(base_, map_bytes_); }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return count_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  std::span<T> span() { return {data_, count_}; }

  // True when nothing wrote below the start of the data.
  bool Intact() const {
    const uint8_t* end = reinterpret_cast<const uint8_t*>(data_);
    for (const uint8_t* p = base_; p < end; ++p) {
      if (*p != kCanary) return false;
    }
    return true;
  }

 private:
  static constexpr size_t kCanaryBytes = 64;
  static constexpr uint8_t kCanary = 0xA5;
  size_t count_ = 0, page_ = 0, data_pages_ = 0, map_bytes_ = 0;
  uint8_t* base_ = nullptr;
  T* data_ = nullptr;
};

}  // namespace lutra::testing
