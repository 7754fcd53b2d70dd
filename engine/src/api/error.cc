#include "engine/src/api/error.h"

#include <cstring>
#include <iterator>
#include <utility>

namespace lutra::api {

// ErrorCode's members carry lutra_status's failure numbers, so StatusOf is a cast.
static_assert(StatusOf(ErrorCode::kInvalidArgument) == LUTRA_STATUS_INVALID_ARGUMENT);
static_assert(StatusOf(ErrorCode::kIsaUnavailable) == LUTRA_STATUS_ISA_UNAVAILABLE);
static_assert(StatusOf(ErrorCode::kUnsupported) == LUTRA_STATUS_UNSUPPORTED);
static_assert(StatusOf(ErrorCode::kIoError) == LUTRA_STATUS_IO_ERROR);
static_assert(StatusOf(ErrorCode::kInvalidModel) == LUTRA_STATUS_INVALID_MODEL);
static_assert(StatusOf(ErrorCode::kOutOfMemory) == LUTRA_STATUS_OUT_OF_MEMORY);
static_assert(StatusOf(ErrorCode::kInternal) == LUTRA_STATUS_INTERNAL);
static_assert(StatusOf(ErrorCode::kBufferTooSmall) == LUTRA_STATUS_BUFFER_TOO_SMALL);
static_assert(StatusOf(ErrorCode::kContextFull) == LUTRA_STATUS_CONTEXT_FULL);
static_assert(std::size(kAllErrorCodes) == LUTRA_STATUS_CONTEXT_FULL,
              "one ErrorCode per failure value of lutra_status");

namespace {
thread_local std::string g_last_error;
}  // namespace

lutra_status Fail(lutra_status status, std::string message) {
  g_last_error = std::move(message);
  return status;
}

lutra_status Fail(lutra_status status, const char* message) noexcept {
  try {
    g_last_error.assign(message);
  } catch (...) {
    g_last_error.clear();
  }
  return status;
}

lutra_status Fail(const Error& error) {
  return Fail(StatusOf(error.code), error.message);
}

void ClearError() {
  g_last_error.clear();
}

}  // namespace lutra::api

extern "C" {

const char* lutra_last_error(void) {
  return lutra::api::g_last_error.c_str();
}

const char* lutra_status_string(lutra_status status) {
  // A C caller may pass any int; reading an out-of-range value as the C++ enum is undefined
  // behaviour, so its bytes are read as an int (as lutra_model_load does with kv_type).
  int code;
  static_assert(sizeof(code) == sizeof(status));
  std::memcpy(&code, &status, sizeof(code));
  switch (code) {
    case LUTRA_STATUS_OK:
      return "ok";
    case LUTRA_STATUS_INVALID_ARGUMENT:
      return "invalid argument";
    case LUTRA_STATUS_ISA_UNAVAILABLE:
      return "ISA unavailable";
    case LUTRA_STATUS_UNSUPPORTED:
      return "unsupported";
    case LUTRA_STATUS_IO_ERROR:
      return "I/O error";
    case LUTRA_STATUS_INVALID_MODEL:
      return "invalid model";
    case LUTRA_STATUS_OUT_OF_MEMORY:
      return "out of memory";
    case LUTRA_STATUS_INTERNAL:
      return "internal error";
    case LUTRA_STATUS_BUFFER_TOO_SMALL:
      return "buffer too small";
    case LUTRA_STATUS_CONTEXT_FULL:
      return "context full";
  }
  return "unknown status";
}

#define LUTRA_STR2(x) #x
#define LUTRA_STR(x) LUTRA_STR2(x)
const char* lutra_version_string(void) {
  return LUTRA_STR(LUTRA_VERSION_MAJOR) "." LUTRA_STR(LUTRA_VERSION_MINOR) "." LUTRA_STR(
      LUTRA_VERSION_PATCH);
}

}  // extern "C"
