// Streaming detokenization: holds back bytes of an incomplete UTF-8 character so a chunk never
// ends inside one. Invalid sequences are passed through as they are once they cannot complete.
#pragma once

#include <string>
#include <string_view>

namespace lutra {

class Utf8Stream {
 public:
  // Appends bytes and returns the longest prefix that does not end mid-character.
  std::string push(std::string_view bytes);
  // Whatever is still held back (an incomplete trailing sequence) at end of stream.
  std::string flush();

 private:
  std::string pending_;
};

}  // namespace lutra
