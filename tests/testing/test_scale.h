// How much work a test may do: LUTRA_TEST_SCALE=small (set by ctest for emulated targets and by
// the sanitizer runs) trims shape lists and long inputs where every case costs ~50× under qemu.
// The trimmed lists keep every code path (each block size, tail and special value); only
// repetitions at larger sizes go.
#pragma once

#include <cstdlib>
#include <cstring>

namespace lutra::testing {

inline bool SmallTestScale() {
  const char* v = std::getenv("LUTRA_TEST_SCALE");
  return v != nullptr && std::strcmp(v, "small") == 0;
}

}  // namespace lutra::testing
