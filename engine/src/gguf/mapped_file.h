// Read-only memory mapping of a whole file; size is taken from fstat before mapping so no
// access can go past the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/src/gguf/status.h"

namespace lutra::gguf {

class MappedFile {
 public:
  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& o) noexcept;
  MappedFile& operator=(MappedFile&& o) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  static Expected<MappedFile> open(const std::string& path);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace lutra::gguf
