#include "engine/src/gguf/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "engine/src/gguf/file_kind.h"
#include "engine/src/memory/huge_page_arena.h"

namespace lutra::gguf {

void MappedFile::release() {
  if (data_ == nullptr) return;
  if (buffer_ != nullptr) {
    buffer_.reset();
  } else if (size_ > 0) {
    munmap(const_cast<uint8_t*>(data_), size_);
  }
  data_ = nullptr;
  size_ = 0;
}

MappedFile::~MappedFile() {
  release();
}

MappedFile::MappedFile(MappedFile&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      buffer_(std::move(o.buffer_)) {}

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    release();
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    buffer_ = std::move(o.buffer_);
  }
  return *this;
}

Expected<MappedFile> MappedFile::open(const std::string& path, Mode mode) {
  // O_NONBLOCK: opening a FIFO for reading otherwise waits, forever, for a writer; it is
  // refused below like any other file that is not a regular one. (On a regular file the flag
  // changes nothing.)
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int e = errno;
    struct stat st {};
    // A socket cannot be opened at all (ENXIO): say what it is rather than "no such device".
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      return IoError(path + ": is " + std::string(FileKindName(st.st_mode)) +
                     ", not a model file (a regular file)");
    }
    return IoError(path + ": cannot open: " + std::strerror(e));
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return IoError(path + ": cannot stat: " + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return IoError(path + ": is " + std::string(FileKindName(st.st_mode)) +
                   ", not a model file (a regular file)");
  }
  MappedFile f;
  f.size_ = static_cast<size_t>(st.st_size);
  if (mode == Mode::kRead) {
    // Huge pages, like the weights the runtime repacks: the tensors lutra-packed files hold
    // are streamed from this buffer every token. Aligned like a mapping's start, so tensor
    // data keeps its alignment.
    if (f.size_ > 0) f.buffer_ = engine::memory::AllocateHugePageBacked(f.size_);
    uint8_t* p = f.buffer_.get();
    if (f.size_ > 0 && p == nullptr) {
      ::close(fd);
      f.size_ = 0;
      return OutOfMemory(path + ": cannot allocate " + std::to_string(st.st_size) +
                         " bytes to read the file into memory");
    }
    f.data_ = static_cast<const uint8_t*>(p);
    size_t done = 0;
    while (done < f.size_) {
      const ssize_t got = ::read(fd, p + done, f.size_ - done);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        const int e = got < 0 ? errno : 0;
        ::close(fd);
        return IoError(path + ": read failed at offset " + std::to_string(done) + ": " +
                       (got < 0 ? std::strerror(e) : "file shrank while reading"));
      }
      done += size_t(got);
    }
    ::close(fd);
    return f;
  }
  if (f.size_ > 0) {
    void* p = mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int e = errno;
      ::close(fd);
      f.size_ = 0;
      // Out of address space (e.g. RLIMIT_AS) is a memory limit, not a broken file.
      if (e == ENOMEM) {
        return OutOfMemory(path + ": cannot allocate address space to map " +
                           std::to_string(st.st_size) + " bytes: " + std::strerror(e));
      }
      return IoError(path + ": mmap failed: " + std::strerror(e));
    }
    f.data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return f;
}

}  // namespace lutra::gguf
