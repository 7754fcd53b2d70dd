// The byte-level BPE alphabet (GPT-2): every byte is shown as a printable Unicode character,
// so that vocabularies and merges are plain text. Bytes that are printable Latin-1
// characters (0x21..0x7E, 0xA1..0xAC, 0xAE..0xFF) stand for themselves; the other 68 bytes take
// the code points U+0100.. in byte order (so a space is 'Ġ', U+0120).
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace lutra {

// UTF-8 of the character standing for each byte.
const std::array<std::string, 256>& ByteLevelChars();
// The byte a character stands for, or -1 when it is not in the alphabet.
int ByteOfCodePoint(uint32_t cp);

}  // namespace lutra
