#include "tools/common/tokenize.h"

#include <cstdio>

#include "tools/common/args.h"

namespace lutra::tools {

std::vector<int32_t> TokenizeOrDie(const lutra_model* model, const std::string& text, bool bos,
                                   bool special) {
  static bool warned = false;  // once: a chat would otherwise repeat it every turn
  size_t lost = 0;
  if (!warned &&
      lutra_tokenize_lost_bytes(model, text.data(), text.size(), &lost) == LUTRA_STATUS_OK &&
      lost > 0) {
    warned = true;
    std::fprintf(stderr,
                 "%s: warning: %zu byte%s of the input %s no token in this model's vocabulary; "
                 "replaced by <unk> or left out (said once)\n",
                 ToolName(), lost, lost == 1 ? "" : "s", lost == 1 ? "has" : "have");
  }
  size_t n = 0;
  lutra_tokenize(model, text.data(), text.size(), bos, special, nullptr, 0, &n);
  std::vector<int32_t> tokens(n);
  if (lutra_tokenize(model, text.data(), text.size(), bos, special, tokens.data(), n, &n) !=
      LUTRA_STATUS_OK) {
    Fail(lutra_last_error());
  }
  tokens.resize(n);
  return tokens;
}

}  // namespace lutra::tools
