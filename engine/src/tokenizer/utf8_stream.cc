#include "engine/src/tokenizer/utf8_stream.h"

namespace lutra {

namespace {
// Expected length of a sequence from its lead byte; 1 for continuation/invalid bytes so they
// flow through rather than stall the stream.
size_t seq_len(unsigned char c) {
  if (c < 0xc2) return 1;
  if (c < 0xe0) return 2;
  if (c < 0xf0) return 3;
  if (c < 0xf5) return 4;
  return 1;
}
}  // namespace

std::string Utf8Stream::push(std::string_view bytes) {
  pending_.append(bytes);
  // Find the last lead byte within the final 4 bytes; hold it back if its sequence is short.
  size_t cut = pending_.size();
  const size_t n = pending_.size();
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    const auto c = static_cast<unsigned char>(pending_[n - back]);
    if ((c & 0xc0) == 0x80) continue;  // continuation byte: keep looking for the lead
    const size_t want = seq_len(c);
    if (want > back) {
      // A sequence only waits while the bytes so far are continuation bytes.
      cut = n - back;
    }
    break;
  }
  std::string out = pending_.substr(0, cut);
  pending_.erase(0, cut);
  return out;
}

std::string Utf8Stream::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

}  // namespace lutra
