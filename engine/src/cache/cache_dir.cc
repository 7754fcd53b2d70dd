#include "engine/src/cache/cache_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "engine/src/cache/entry_file.h"

namespace lutra::engine::cache {

namespace {

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Entries, their temporaries and locks: the only names Clear removes.
bool IsCacheFile(const std::string& name) {
  return EndsWith(name, kEntrySuffix) || EndsWith(name, ".lock") ||
         name.find(std::string(kEntrySuffix) + ".tmp.") != std::string::npos;
}

}  // namespace

std::string DefaultDir() {
  if (const char* d = std::getenv("LUTRA_CACHE_DIR"); d != nullptr && *d != '\0') return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x == '/') {
    return std::string(x) + "/lutra";
  }
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') {
    return std::string(h) + "/.cache/lutra";
  }
  return "";
}

Expected<uint64_t> MaxBytes() {
  constexpr uint64_t kDefault = uint64_t{10} << 30;
  const char* v = std::getenv("LUTRA_CACHE_MAX");
  if (v == nullptr || *v == '\0') return kDefault;
  char* end = nullptr;
  errno = 0;
  const unsigned long long n = std::strtoull(v, &end, 10);
  int shift = 0;
  if (end != v && *end != '\0' && end[1] == '\0') {
    switch (*end) {
      case 'K':
      case 'k':
        shift = 10;
        ++end;
        break;
      case 'M':
      case 'm':
        shift = 20;
        ++end;
        break;
      case 'G':
      case 'g':
        shift = 30;
        ++end;
        break;
      default:
        break;
    }
  }
  if (end == v || *end != '\0' || errno != 0 || *v == '-' || (n >> (63 - shift)) != 0) {
    return InvalidArgument(std::string("LUTRA_CACHE_MAX=") + v +
                           ": expected bytes with an optional K, M or G suffix");
  }
  return uint64_t(n) << shift;
}

Status EnsureDir(const std::string& dir) {
  if (dir.empty()) return IoError("cache: no directory (set LUTRA_CACHE_DIR or HOME)");
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i != dir.size() && dir[i] != '/') continue;
    const std::string part = dir.substr(0, i);
    if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
      return IoError("cache: cannot create " + part + ": " + std::strerror(errno));
    }
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return IoError("cache: " + dir + " is not a directory");
  }
  return Status::Ok();
}

Expected<std::vector<DirEntry>> ListEntries(const std::string& dir) {
  std::vector<DirEntry> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    return IoError("cache: cannot read " + dir + ": " + std::strerror(errno));
  }
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (!EndsWith(name, kEntrySuffix)) continue;
    DirEntry entry;
    entry.path = dir + "/" + name;
    const int fd = open(entry.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // removed meanwhile
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
      entry.bytes = uint64_t(st.st_size);
      entry.last_used = int64_t(st.st_mtime);
      if (auto info = ReadEntryInfo(fd, entry.path); info.ok()) entry.source = info->source;
      out.push_back(std::move(entry));
    }
    close(fd);
  }
  closedir(d);
  std::sort(out.begin(), out.end(), [](const DirEntry& a, const DirEntry& b) {
    return a.last_used != b.last_used ? a.last_used < b.last_used : a.path < b.path;
  });
  return out;
}

uint64_t Evict(const std::string& dir, uint64_t max_bytes, const std::string& keep) {
  auto entries = ListEntries(dir);
  if (!entries.ok()) return 0;
  uint64_t total = 0, removed = 0;
  for (const DirEntry& e : *entries) total += e.bytes;
  for (const DirEntry& e : *entries) {
    if (total <= max_bytes) break;
    if (e.path == keep) continue;
    if (unlink(e.path.c_str()) == 0) {
      total -= e.bytes;
      removed += e.bytes;
    }
  }
  return removed;
}

Expected<uint64_t> Clear(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return uint64_t{0};
    return IoError("cache: cannot read " + dir + ": " + std::strerror(errno));
  }
  uint64_t removed = 0;
  std::string failed;
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (!IsCacheFile(name)) continue;
    const std::string path = dir + "/" + name;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (unlink(path.c_str()) == 0) {
      removed += uint64_t(st.st_size);
    } else if (failed.empty()) {
      failed = path + ": " + std::strerror(errno);
    }
  }
  closedir(d);
  if (!failed.empty()) return IoError("cache: cannot remove " + failed);
  return removed;
}

}  // namespace lutra::engine::cache
