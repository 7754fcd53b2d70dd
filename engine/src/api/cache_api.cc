// lutra_cache_default_dir, lutra_cache_list, lutra_cache_clear: the repack cache's directory
// as users and tools see it (engine/src/cache/ does the work).
#include <cstdlib>
#include <string>

#include "engine/src/api/handles.h"
#include "engine/src/cache/cache_dir.h"
#include "lutra/lutra.h"

namespace lutra::api {

bool CacheDisabledByEnvironment() {
  const char* v = std::getenv("LUTRA_NO_CACHE");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

}  // namespace lutra::api

namespace {

using lutra::api::Fail;
namespace cache = lutra::engine::cache;

std::string DirOrDefault(const char* dir) {
  return dir != nullptr && *dir != '\0' ? std::string(dir) : cache::DefaultDir();
}

lutra_status List(const char* dir_arg, void (*fn)(const lutra_cache_entry*, void*), void* user,
                  uint64_t* total_bytes, uint64_t* max_bytes) {
  const std::string dir = DirOrDefault(dir_arg);
  if (dir.empty()) {
    return Fail(LUTRA_STATUS_IO_ERROR,
                "lutra_cache_list: no cache directory (set LUTRA_CACHE_DIR or HOME)");
  }
  auto max = cache::MaxBytes();
  if (!max.ok()) return Fail(max.failure("lutra_cache_list: "));
  auto entries = cache::ListEntries(dir);
  if (!entries.ok()) return Fail(entries.failure("lutra_cache_list: "));
  uint64_t total = 0;
  for (const cache::DirEntry& e : *entries) {
    total += e.bytes;
    if (fn != nullptr) {
      lutra_cache_entry c{};
      c.struct_size = sizeof c;
      c.path = e.path.c_str();
      c.source = e.source.c_str();
      c.bytes = e.bytes;
      c.last_used = e.last_used;
      fn(&c, user);
    }
  }
  if (total_bytes != nullptr) *total_bytes = total;
  if (max_bytes != nullptr) *max_bytes = *max;
  lutra::api::ClearError();
  return LUTRA_STATUS_OK;
}

lutra_status ClearDir(const char* dir_arg, uint64_t* removed) {
  const std::string dir = DirOrDefault(dir_arg);
  if (dir.empty()) {
    return Fail(LUTRA_STATUS_IO_ERROR,
                "lutra_cache_clear: no cache directory (set LUTRA_CACHE_DIR or HOME)");
  }
  auto bytes = cache::Clear(dir);
  if (!bytes.ok()) return Fail(bytes.failure("lutra_cache_clear: "));
  if (removed != nullptr) *removed = *bytes;
  lutra::api::ClearError();
  return LUTRA_STATUS_OK;
}

}  // namespace

extern "C" {

const char* lutra_cache_default_dir(void) {
  thread_local std::string dir;
  try {
    dir = cache::DefaultDir();
  } catch (...) {
    dir.clear();
  }
  return dir.c_str();
}

lutra_status lutra_cache_list(const char* dir, void (*fn)(const lutra_cache_entry*, void*),
                              void* user, uint64_t* total_bytes, uint64_t* max_bytes) {
  return lutra::api::Guard("lutra_cache_list",
                           [&] { return List(dir, fn, user, total_bytes, max_bytes); });
}

lutra_status lutra_cache_clear(const char* dir, uint64_t* removed) {
  return lutra::api::Guard("lutra_cache_clear", [&] { return ClearDir(dir, removed); });
}

}  // extern "C"
