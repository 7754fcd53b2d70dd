// Tokenizing the user's text in the tools, with the one notice the library cannot give on its
// own: a vocabulary that lacks some byte values (Falcon, StarCoder) replaces such bytes by
// <unk> or leaves them out, and the user should know their input was changed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lutra/lutra.h"

namespace lutra::tools {

// The tokens of `text`, or Fail() with the library's message. The first time in the process
// that text has bytes the vocabulary cannot represent, prints
// "<tool>: warning: N bytes of the input have no token in this model's vocabulary; ...".
std::vector<int32_t> TokenizeOrDie(const lutra_model* model, const std::string& text, bool bos,
                                   bool special);

}  // namespace lutra::tools
