#include "engine/src/tokenizer/byte_unicode.h"

namespace lutra {
namespace {

bool StandsForItself(int b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

std::string Utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s.push_back(char(cp));
  } else if (cp < 0x800) {
    s.push_back(char(0xC0 | (cp >> 6)));
    s.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    s.push_back(char(0xE0 | (cp >> 12)));
    s.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    s.push_back(char(0x80 | (cp & 0x3F)));
  }
  return s;
}

struct Tables {
  std::array<std::string, 256> chars;
  std::array<int16_t, 512> byte_of;  // code points below 512 cover the whole alphabet
  Tables() {
    byte_of.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const uint32_t cp = StandsForItself(b) ? uint32_t(b) : next++;
      chars[size_t(b)] = Utf8(cp);
      byte_of[cp] = int16_t(b);
    }
  }
};

const Tables& Get() {
  static const Tables t;
  return t;
}

}  // namespace

const std::array<std::string, 256>& ByteLevelChars() {
  return Get().chars;
}

int ByteOfCodePoint(uint32_t cp) {
  return cp < 512 ? Get().byte_of[cp] : -1;
}

}  // namespace lutra
