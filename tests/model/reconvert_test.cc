// lutra-convert on files lutra-convert wrote (issue 26): the lutra.convert.* keys describe the
// last conversion, once each, and the result loads and runs. Before, the copied set and the new
// one were both written and the file was refused ("duplicate key 'lutra.convert.wtype'").
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "engine/src/models/model.h"
#include "engine/src/synthetic/synthetic.h"
#include "lutra/lutra.h"

namespace lutra::testing {
namespace {

namespace fs = std::filesystem;

lutra_status Convert(const std::string& in, const std::string& out, const char* wtype) {
  lutra_convert_options o;
  lutra_convert_options_init(&o);
  o.wtype = wtype;
  o.method = "rtn";
  o.threads = 2;
  return lutra_convert(in.c_str(), out.c_str(), &o, nullptr);
}

TEST(Reconvert, ConvertedFilesConvertAgainAndLoad) {
  const fs::path dir = fs::temp_directory_path() / ("lutra-reconvert-" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto at = [&](const char* n) { return (dir / n).string(); };
  auto cfg = engine::synthetic::SyntheticPreset("tiny");
  ASSERT_TRUE(cfg.ok());
  ASSERT_TRUE(engine::synthetic::WriteSyntheticLlama(*cfg, at("src.gguf")).ok());

  // f16 → f16 → q8_0 → q4_0, each from the previous lutra-written file, then packed q2 and
  // ternary from the lutra-written f16.
  struct Step {
    const char *from, *to, *wtype;
  };
  const Step steps[] = {{"src.gguf", "f16.gguf", "f16"},  {"f16.gguf", "f16b.gguf", "f16"},
                        {"f16b.gguf", "q8.gguf", "q8_0"}, {"q8.gguf", "q4.gguf", "q4_0"},
                        {"f16.gguf", "q2.gguf", "q2"},    {"f16.gguf", "tq.gguf", "tq"},
                        {"q4.gguf", "q4p.gguf", "q4"}};
  for (const Step& s : steps) {
    SCOPED_TRACE(std::string(s.from) + " -> " + s.to);
    ASSERT_EQ(Convert(at(s.from), at(s.to), s.wtype), LUTRA_STATUS_OK) << lutra_last_error();
    auto f = gguf::File::open(at(s.to));
    ASSERT_TRUE(f.ok()) << f.error();
    EXPECT_EQ(*f->get_string("lutra.convert.wtype"), s.wtype);
    size_t convert_keys = 0;
    for (const std::string& k : f->keys()) convert_keys += k.rfind("lutra.convert.", 0) == 0;
    EXPECT_EQ(convert_keys, 4u);
    auto m = engine::models::Model::Load(at(s.to), {});
    ASSERT_TRUE(m.ok()) << m.error();
    auto session = engine::models::Session::Create(**m);
    ASSERT_TRUE(session.ok()) << session.error();
    const int32_t tokens[] = {1, 5, 9};
    auto logits = (*session)->Prefill(tokens);
    ASSERT_TRUE(logits.ok()) << logits.error();
    for (float l : *logits) ASSERT_TRUE(std::isfinite(l));
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lutra::testing
