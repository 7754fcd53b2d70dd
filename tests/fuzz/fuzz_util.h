// Helpers shared by the fuzz targets: the input as a file the loaders can open (an anonymous
// memory file, so nothing touches the disk), and the models directory.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace lutra::fuzz {

// A memfd holding the bytes, reachable by path as /proc/self/fd/N while alive.
class MemoryFile {
 public:
  MemoryFile(const uint8_t* data, size_t size) {
    fd_ = memfd_create("lutra-fuzz", MFD_CLOEXEC);
    if (fd_ < 0) std::abort();
    for (size_t done = 0; done < size;) {
      const ssize_t n = write(fd_, data + done, size - done);
      if (n <= 0) std::abort();
      done += size_t(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemoryFile() { close(fd_); }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

inline std::string ModelsDir() {
  const char* e = std::getenv("LUTRA_MODELS_DIR");
  return e != nullptr && *e != '\0' ? e : LUTRA_FUZZ_DEFAULT_MODELS_DIR;
}

}  // namespace lutra::fuzz
