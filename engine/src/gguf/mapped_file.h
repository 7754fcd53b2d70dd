// A whole file in memory, read-only: mapped (the default: pages come from the page cache on
// demand) or read into an owned buffer (for file systems without mmap, or to hold the model in
// anonymous memory). The size is taken from fstat first, so no access can go past the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/src/common/status.h"

namespace lutra::gguf {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  enum class Mode { kMap, kRead };
  static Expected<MappedFile> open(const std::string& path, Mode mode = Mode::kMap);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  // True for a file mapping (pages can be dropped and are re-read from the file on access).
  bool mapped() const { return buffer_ == nullptr && data_ != nullptr; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::shared_ptr<uint8_t> buffer_;  // holds the file when read (Mode::kRead) instead of mapped
  void release();
};

}  // namespace lutra::gguf
