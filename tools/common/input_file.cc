#include "tools/common/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tools/common/args.h"

namespace lutra::tools {
namespace {

const char* KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "a special file";
}

}  // namespace

bool ReadRegularFile(const std::string& path, std::string* text, std::string* error) {
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer, possibly forever.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  struct stat st {};
  if (fd < 0) {
    const int e = errno;
    // A socket cannot be opened at all (ENXIO): say what it is instead.
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
      *error = path + ": is " + KindOf(st.st_mode) + ", not a text file";
    } else {
      *error = "cannot read " + path + ": " + std::strerror(e);
    }
    return false;
  }
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    *error = path + ": is " + KindOf(st.st_mode) + ", not a text file";
    ::close(fd);
    return false;
  }
  text->clear();
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = "cannot read " + path + ": " + std::strerror(errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    text->append(buf, size_t(n));
  }
  ::close(fd);
  return true;
}

std::string ReadFileOrDie(const std::string& path) {
  std::string text, error;
  if (!ReadRegularFile(path, &text, &error)) Fail(error);
  return text;
}

}  // namespace lutra::tools
