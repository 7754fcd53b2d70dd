// Shared helpers of the model tests: model paths, temporary files, logit comparison.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace lutra::testing {

inline std::string ModelsDir() {
  if (const char* e = std::getenv("LUTRA_MODELS_DIR"); e != nullptr && *e != '\0') return e;
  return (std::filesystem::path(__FILE__).parent_path() / "../../../shared/models").string();
}

// A per-process file name in the temp directory, removed when the object dies.
class TempFile {
 public:
  explicit TempFile(const std::string& stem)
      : path_((std::filesystem::temp_directory_path() /
               (stem + "-" + std::to_string(getpid()) + ".gguf"))
                  .string()) {}
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Largest |a - b| over the vector, and the largest |b| (the reference's scale).
struct Diff {
  double max_abs = 0, ref_max = 0;
};
inline Diff Compare(std::span<const float> got, const std::vector<double>& want) {
  Diff d;
  for (size_t i = 0; i < want.size(); ++i) {
    d.max_abs = std::max(d.max_abs, std::fabs(double(got[i]) - want[i]));
    if (!std::isfinite(got[i])) d.max_abs = INFINITY;
    d.ref_max = std::max(d.ref_max, std::fabs(want[i]));
  }
  return d;
}

inline int32_t ArgMax(std::span<const float> v) {
  return int32_t(std::max_element(v.begin(), v.end()) - v.begin());
}
inline int32_t ArgMax(const std::vector<double>& v) {
  return int32_t(std::max_element(v.begin(), v.end()) - v.begin());
}

}  // namespace lutra::testing
