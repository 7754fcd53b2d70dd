// lutra_write_synthetic_model through the C API: defaults, options, and the errors it reports.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "engine/src/gguf/reader.h"
#include "lutra/lutra.h"

namespace {

std::string TempPath(const std::string& stem) {
  return (std::filesystem::temp_directory_path() /
          (stem + "-" + std::to_string(getpid()) + ".gguf"))
      .string();
}

TEST(SyntheticApi, WritesPresetWithChosenTypes) {
  lutra_synthetic_options o;
  lutra_synthetic_options_init(&o);
  EXPECT_EQ(o.struct_size, sizeof o);
  EXPECT_STREQ(o.preset, "tiny");
  o.preset = "small";  // widths 256 / 768: whole TQ2_0 blocks
  o.weight_type = "tq2_0";
  const std::string path = TempPath("lutra-synth-api");
  ASSERT_EQ(lutra_write_synthetic_model(path.c_str(), &o), LUTRA_STATUS_OK) << lutra_last_error();
  auto f = lutra::gguf::File::open(path);
  ASSERT_TRUE(f.ok()) << f.error();
  using lutra::gguf::TensorType;
  EXPECT_EQ(f->tensor("blk.0.ffn_down.weight")->type, TensorType::TQ2_0);
  EXPECT_EQ(f->tensor("token_embd.weight")->type, TensorType::F16);  // low-bit default
  EXPECT_EQ(f->tensor("output.weight")->type, TensorType::Q4_0);
  EXPECT_EQ(*f->get_u32("llama.block_count"), 4u);
  std::filesystem::remove(path);
}

// "i2_s": bitnet.cpp's type, with the low-bit defaults for the embedding and the head; each
// matrix ends with its 32-byte tail, whose first 4 bytes are its (positive) fp32 scale.
TEST(SyntheticApi, WritesI2SMatrices) {
  lutra_synthetic_options o;
  lutra_synthetic_options_init(&o);
  o.preset = "small";  // widths 256 / 768: whole 128-weight I2_S blocks
  o.weight_type = "i2_s";
  const std::string path = TempPath("lutra-synth-api-i2s");
  ASSERT_EQ(lutra_write_synthetic_model(path.c_str(), &o), LUTRA_STATUS_OK) << lutra_last_error();
  auto f = lutra::gguf::File::open(path);
  ASSERT_TRUE(f.ok()) << f.error();
  using lutra::gguf::TensorType;
  const lutra::gguf::TensorInfo* down = f->tensor("blk.3.ffn_down.weight");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->type, TensorType::I2_S);
  ASSERT_EQ(down->n_bytes, 768u * 256u / 4 + 32);
  float scale = 0;
  std::memcpy(&scale, down->data + 768 * 256 / 4, 4);
  EXPECT_GT(scale, 0.0f);
  EXPECT_LT(scale, 1.0f);
  EXPECT_EQ(f->tensor("token_embd.weight")->type, TensorType::F16);
  EXPECT_EQ(f->tensor("output.weight")->type, TensorType::Q4_0);
  std::filesystem::remove(path);

  o.preset = "tiny";  // rows of 64: not a whole I2_S block
  EXPECT_EQ(lutra_write_synthetic_model(path.c_str(), &o), LUTRA_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lutra_last_error()).find("rows of 64 weights cannot be stored as I2_S"),
            std::string::npos)
      << lutra_last_error();
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(SyntheticApi, NamesWhatIsWrong) {
  const std::string path = TempPath("lutra-synth-api-bad");
  lutra_synthetic_options o;
  lutra_synthetic_options_init(&o);
  EXPECT_EQ(lutra_write_synthetic_model(nullptr, &o), LUTRA_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lutra_last_error()).find("path"), std::string::npos);

  o.preset = "gpt-5";
  EXPECT_EQ(lutra_write_synthetic_model(path.c_str(), &o), LUTRA_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lutra_last_error()).find("unknown synthetic preset 'gpt-5'"),
            std::string::npos);
  EXPECT_NE(std::string(lutra_last_error()).find("tinyllama-1.1b"), std::string::npos);
  EXPECT_NE(std::string(lutra_synthetic_preset_names()).find("tinyllama-1.1b,"), std::string::npos);

  lutra_synthetic_options_init(&o);
  o.weight_type = "q3_k";
  EXPECT_EQ(lutra_write_synthetic_model(path.c_str(), &o), LUTRA_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lutra_last_error()).find("unknown weight type 'q3_k'"), std::string::npos);

  o.weight_type = "tq1_0";  // tiny's rows of 64 are not 256-weight blocks
  EXPECT_EQ(lutra_write_synthetic_model(path.c_str(), &o), LUTRA_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lutra_last_error()).find("cannot be stored as TQ1_0"), std::string::npos);

  lutra_synthetic_options_init(&o);
  o.struct_size = 8;
  EXPECT_EQ(lutra_write_synthetic_model(path.c_str(), &o), LUTRA_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lutra_last_error()).find("struct_size"), std::string::npos);

  lutra_synthetic_options_init(&o);
  const std::string missing_dir = "/nonexistent-lutra-dir/model.gguf";
  EXPECT_EQ(lutra_write_synthetic_model(missing_dir.c_str(), &o), LUTRA_STATUS_IO_ERROR);
  EXPECT_NE(std::string(lutra_last_error()).find("/nonexistent-lutra-dir/"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
