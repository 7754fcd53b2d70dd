// Token ids against llama.cpp's tokenizer on the shared vocabularies
// (tests/data/tokenizer/llama_cpp_ids.tsv, made once with llama-tokenize by
// make_llama_cpp_ids.py next to it): user-defined added tokens found in plain text (and the
// text around them, Phi-3's whitespace rule included), control tokens only with
// parse_special, and text with characters of every Unicode general category through each
// byte-level BPE pre-tokenizer. A vocabulary that is absent is skipped with a message.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/tokenizer/tokenizer.h"

namespace lutra {
namespace {

std::string ModelsDir() {
  if (const char* e = std::getenv("LUTRA_MODELS_DIR"); e != nullptr && *e != '\0') return e;
  return (std::filesystem::path(__FILE__).parent_path() / "../../../shared/models").string();
}

struct Case {
  std::string vocab, text, label;
  bool parse_special = false;
  std::vector<int32_t> ids;
  int line = 0;
};

std::string FromHex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(char(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::vector<Case> ReadCases() {
  const auto path =
      std::filesystem::path(__FILE__).parent_path() / "../data/tokenizer/llama_cpp_ids.tsv";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::vector<Case> cases;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string special, hex, ids;
    Case c;
    c.line = n;
    std::getline(fields, c.vocab, '\t');
    std::getline(fields, special, '\t');
    std::getline(fields, hex, '\t');
    std::getline(fields, ids, '\t');
    std::getline(fields, c.label, '\t');
    c.parse_special = special == "1";
    c.text = FromHex(hex);
    std::istringstream list(ids);
    for (std::string id; std::getline(list, id, ',');) c.ids.push_back(std::stoi(id));
    cases.push_back(std::move(c));
  }
  return cases;
}

TEST(TokenizerLlamaIds, SameIdsAsLlamaCpp) {
  const std::vector<Case> cases = ReadCases();
  ASSERT_GT(cases.size(), 40u);
  std::map<std::string, std::pair<std::unique_ptr<gguf::File>, std::unique_ptr<Tokenizer>>> vocabs;
  size_t checked = 0;
  std::vector<std::string> absent;
  for (const Case& c : cases) {
    auto& v = vocabs[c.vocab];
    if (!v.first) {
      auto f = gguf::File::open(ModelsDir() + "/" + c.vocab);
      if (!f.ok()) {
        absent.push_back(c.vocab);
        continue;
      }
      v.first = std::make_unique<gguf::File>(std::move(*f));
      auto t = load_tokenizer(*v.first);
      ASSERT_TRUE(t.ok()) << c.vocab << ": " << t.error();
      v.second = std::move(*t);
    }
    const std::vector<int32_t> got =
        v.second->encode(c.text, {.add_bos = false, .parse_special = c.parse_special});
    EXPECT_EQ(got, c.ids) << c.vocab << " line " << c.line << " (" << c.label << ", parse_special "
                          << c.parse_special << "): '" << c.text << "'";
    ++checked;
  }
  if (checked == 0) GTEST_SKIP() << "no shared vocabulary in " << ModelsDir();
  for (const std::string& a : absent) std::printf("[ SKIPPED ] %s is absent\n", a.c_str());
}

// Added tokens print as written, so text holding them round-trips (DeepSeek's "À" is an added
// token: the text "À", not the byte its byte-level character stands for).
TEST(TokenizerLlamaIds, AddedTokensRoundTrip) {
  auto f = gguf::File::open(ModelsDir() + "/vocab-deepseek-coder.gguf");
  if (!f.ok()) GTEST_SKIP() << "vocab-deepseek-coder.gguf is absent";
  auto t = load_tokenizer(*f);
  ASSERT_TRUE(t.ok()) << t.error();
  for (const std::string s : {"x À y ÿ", "a<|EOT|>b", "[PAD32022]<pad>"}) {
    EXPECT_EQ((*t)->decode((*t)->encode(s, {})), s);
  }
}

}  // namespace
}  // namespace lutra
