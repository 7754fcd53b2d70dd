#include "engine/src/gguf/output_path.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/src/gguf/file_kind.h"

namespace lutra::gguf {
namespace {

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The link's target, relative targets taken from the link's directory.
Expected<std::string> ReadLink(const std::string& link) {
  std::string target(4096, '\0');
  const ssize_t n = ::readlink(link.c_str(), target.data(), target.size());
  if (n < 0) return IoError(link + ": cannot read the symbolic link: " + std::strerror(errno));
  if (size_t(n) >= target.size()) return IoError(link + ": symbolic link target too long");
  target.resize(size_t(n));
  if (target.empty() || target[0] == '/') return target;
  return DirectoryOf(link) + "/" + target;
}

}  // namespace

Expected<std::string> ResolveOutputPath(const std::string& path) {
  std::string at = path;
  // Follows links one at a time (not realpath(), which fails on a dangling link whose target
  // is the file still to be written); 40 hops is the kernel's own limit (ELOOP).
  for (int hops = 0;; ++hops) {
    struct stat st {};
    if (::lstat(at.c_str(), &st) != 0) {
      if (errno != ENOENT) return IoError(at + ": cannot stat: " + std::strerror(errno));
      const std::string dir = DirectoryOf(at);
      struct stat ds {};
      if (::stat(dir.c_str(), &ds) != 0 || !S_ISDIR(ds.st_mode)) {
        return IoError(at + ": cannot write: the directory " + dir + " does not exist");
      }
      return at;  // absent: created there
    }
    if (S_ISREG(st.st_mode)) return at;
    if (!S_ISLNK(st.st_mode)) {
      std::string what = at == path ? at : path + " (a link to " + at + ")";
      return IoError(what + " is " + FileKindName(st.st_mode) +
                     ": refusing to write a model over it (give the path of a regular file)");
    }
    if (hops == 40) return IoError(path + ": too many levels of symbolic links");
    auto next = ReadLink(at);
    if (!next.ok()) return next;
    at = *next;
  }
}

}  // namespace lutra::gguf
