// Errors carry a code, and the C API's status follows the code, never the message's wording:
// every code maps to its own lutra_status, and each class of load failure gives its status
// whatever its message says.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "engine/src/api/error.h"
#include "engine/src/models/model.h"
#include "lutra/lutra.h"
#include "tests/model/model_testing.h"
#include "tests/model/synthetic_llama.h"

namespace lutra::testing {
namespace {

TEST(ErrorCodes, EveryCodeMapsToItsOwnFailureStatus) {
  std::set<int> statuses;
  std::set<std::string> names;
  for (ErrorCode code : kAllErrorCodes) {
    const lutra_status s = api::StatusOf(code);
    EXPECT_NE(s, LUTRA_STATUS_OK) << ErrorCodeName(code);
    EXPECT_TRUE(statuses.insert(int(s)).second) << ErrorCodeName(code) << " shares a status";
    EXPECT_TRUE(names.insert(ErrorCodeName(code)).second) << ErrorCodeName(code);
  }
  // Every failure value of lutra_status is some code's status.
  for (int s = LUTRA_STATUS_INVALID_ARGUMENT; s <= LUTRA_STATUS_CONTEXT_FULL; ++s) {
    EXPECT_EQ(statuses.count(s), 1u) << lutra_status_string(lutra_status(s));
  }
  EXPECT_EQ(api::StatusOf(ErrorCode::kIoError), LUTRA_STATUS_IO_ERROR);
  EXPECT_EQ(api::StatusOf(ErrorCode::kInvalidModel), LUTRA_STATUS_INVALID_MODEL);
  EXPECT_EQ(api::StatusOf(ErrorCode::kOutOfMemory), LUTRA_STATUS_OUT_OF_MEMORY);
  EXPECT_EQ(api::StatusOf(ErrorCode::kIsaUnavailable), LUTRA_STATUS_ISA_UNAVAILABLE);
  EXPECT_EQ(api::StatusOf(ErrorCode::kInvalidArgument), LUTRA_STATUS_INVALID_ARGUMENT);
}

TEST(ErrorCodes, TheStatusFollowsTheCodeNotTheWording) {
  // Messages worded like another class (the words the old text classifiers looked for).
  EXPECT_EQ(api::Fail(InvalidModel("m.gguf: cannot open: ISA cap: cannot allocate")),
            LUTRA_STATUS_INVALID_MODEL);
  EXPECT_STREQ(lutra_last_error(), "m.gguf: cannot open: ISA cap: cannot allocate");
  EXPECT_EQ(api::Fail(IoError("synthetic llama: stopped")), LUTRA_STATUS_IO_ERROR);
  EXPECT_EQ(api::Fail(InvalidArgument("write failed: cannot read this type")),
            LUTRA_STATUS_INVALID_ARGUMENT);
  EXPECT_EQ(api::Fail(OutOfMemory("a plain message")), LUTRA_STATUS_OUT_OF_MEMORY);
  EXPECT_EQ(api::Fail(IsaUnavailable("")), LUTRA_STATUS_ISA_UNAVAILABLE);
  // Context added on the way up keeps the code.
  const Status inner = IoError("x.gguf: read failed");
  const Error outer = inner.failure("model: ");
  EXPECT_EQ(outer.code, ErrorCode::kIoError);
  EXPECT_EQ(outer.message, "model: x.gguf: read failed");
  const Expected<int> e = OutOfMemory("no room");
  EXPECT_EQ(e.code(), ErrorCode::kOutOfMemory);
  EXPECT_EQ(e.failure("KV cache: ").message, "KV cache: no room");
  EXPECT_TRUE(Status::Ok().ok());
}

lutra_status LoadStatus(const std::string& path, const char* isa = nullptr) {
  lutra_model_options o;
  lutra_model_options_init(&o);
  o.threads = 1;
  o.isa = isa;
  lutra_model* m = nullptr;
  const lutra_status s = lutra_model_load(path.c_str(), &o, &m);
  lutra_model_free(m);
  return s;
}

TEST(ErrorCodes, EachClassOfLoadFailureGivesItsStatus) {
  engine::models::ModelOptions mo;
  mo.threads = 1;
  // The file cannot be read: I/O.
  const std::string missing = "/nonexistent-lutra-dir/model.gguf";
  EXPECT_EQ(LoadStatus(missing), LUTRA_STATUS_IO_ERROR) << lutra_last_error();
  auto m = engine::models::Model::Load(missing, mo);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.code(), ErrorCode::kIoError) << m.error();
  // A directory is not a model file: I/O.
  EXPECT_EQ(LoadStatus(std::filesystem::temp_directory_path().string()), LUTRA_STATUS_IO_ERROR)
      << lutra_last_error();
  // Bytes that are not GGUF: an invalid model.
  TempFile junk("lutra-error-codes-junk");
  std::ofstream(junk.path()) << "not a GGUF file, though it says: cannot open: ISA cap";
  EXPECT_EQ(LoadStatus(junk.path()), LUTRA_STATUS_INVALID_MODEL) << lutra_last_error();
  m = engine::models::Model::Load(junk.path(), mo);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.code(), ErrorCode::kInvalidModel) << m.error();
  // A valid model with an unknown ISA cap: ISA unavailable.
  TempFile good("lutra-error-codes-good");
  ASSERT_TRUE(WriteSynthLlama(SynthLlama{}, good.path()).ok());
  EXPECT_EQ(LoadStatus(good.path()), LUTRA_STATUS_OK) << lutra_last_error();
  EXPECT_EQ(LoadStatus(good.path(), "avx9000"), LUTRA_STATUS_ISA_UNAVAILABLE) << lutra_last_error();
  mo.isa_cap = "avx9000";
  m = engine::models::Model::Load(good.path(), mo);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.code(), ErrorCode::kIsaUnavailable) << m.error();
}

TEST(ErrorCodes, ConvertAndSyntheticStatusesFollowTheCode) {
  // A bad option: invalid argument; an output that cannot be written: I/O.
  lutra_convert_options o;
  lutra_convert_options_init(&o);
  o.group = 48;
  EXPECT_EQ(lutra_convert_check(nullptr, &o), LUTRA_STATUS_INVALID_ARGUMENT) << lutra_last_error();
  EXPECT_EQ(lutra_convert_check("/nonexistent-lutra-dir/out.gguf", nullptr), LUTRA_STATUS_IO_ERROR)
      << lutra_last_error();
  // An unknown preset is an invalid argument; a file in a missing directory an I/O error.
  lutra_synthetic_options s;
  lutra_synthetic_options_init(&s);
  s.preset = "no-such-preset";
  EXPECT_EQ(lutra_write_synthetic_model("/tmp/unused.gguf", &s), LUTRA_STATUS_INVALID_ARGUMENT)
      << lutra_last_error();
  EXPECT_EQ(lutra_write_synthetic_model("/nonexistent-lutra-dir/m.gguf", nullptr),
            LUTRA_STATUS_IO_ERROR)
      << lutra_last_error();
}

}  // namespace
}  // namespace lutra::testing
