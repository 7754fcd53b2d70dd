// Little-endian field encoding shared by the repack cache's on-disk records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lutra::engine {

// Little-endian fields (u64, length-prefixed strings), appended in order: the small
// self-describing records of the repack cache (entry directories, operator descriptors).
class ByteFieldWriter {
 public:
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(char(uint8_t(v >> (8 * i))));
  }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads what ByteFieldWriter wrote; a short or malformed descriptor turns ok() false and
// every later read returns zero / "".
class ByteFieldReader {
 public:
  explicit ByteFieldReader(std::string_view in) : in_(in) {}
  uint64_t U64() {
    if (!ok_ || in_.size() < 8) return Fail();
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t(uint8_t(in_[size_t(i)])) << (8 * i);
    in_.remove_prefix(8);
    return v;
  }
  std::string_view Str() {
    const uint64_t n = U64();
    if (!ok_ || in_.size() < n) return Fail(), std::string_view();
    std::string_view s = in_.substr(0, size_t(n));
    in_.remove_prefix(size_t(n));
    return s;
  }
  // True when every field was present and nothing is left over.
  bool ok() const { return ok_ && in_.empty(); }

 private:
  uint64_t Fail() {
    ok_ = false;
    return 0;
  }
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace lutra::engine
