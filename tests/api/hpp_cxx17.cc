// lutra.hpp promises C++17: this file is compiled as C++17 (not run) and instantiates every
// template of the wrapper, so a C++20-only construct in the header fails the build.
#include <string>
#include <string_view>
#include <vector>

#include "lutra/lutra.hpp"

namespace lutra_hpp_cxx17 {

lutra_generate_stats UseEverything(const std::string& path) {
  lutra::Model model = lutra::Model::Load(path);
  lutra::Session session = lutra::Session::Create(model);
  const std::vector<int32_t> tokens = model.Tokenize("text", true, false);
  std::string text = model.Detokenize(tokens) + model.Piece(tokens.at(0)) +
                     model.ChatTemplateName() + model.ApplyChatTemplate({{"user", "hi"}});
  lutra::Logits logits = session.Prefill(tokens);
  logits = session.Decode(session.Sample(lutra::DefaultSamplerOptions()));
  session.Evaluate(tokens, logits.size);
  session.Reset();
  return session.Generate(tokens, lutra::DefaultGenerateOptions(), [&](std::string_view piece) {
    text += piece;
    return text.size() < 100;
  });
}

}  // namespace lutra_hpp_cxx17
