// Error-or-value results for the whole engine: no exceptions cross these APIs. Every error
// carries a code, which the C API maps to a lutra_status (engine/src/api/error.h); the message
// is for people and never classified by its wording.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace lutra {

// One member per failure value of lutra_status (engine/include/lutra/lutra.h), with the same
// number; the C API checks the correspondence.
enum class ErrorCode {
  kInvalidArgument = 1,  // a bad caller argument or option
  kIsaUnavailable = 2,   // an ISA cap names an ISA this CPU or build lacks
  kUnsupported = 3,      // a valid request this build cannot serve
  kIoError = 4,          // a file could not be opened, read, written or mapped
  kInvalidModel = 5,     // the file's content is not a model lutra can run
  kOutOfMemory = 6,      // an allocation failed
  kInternal = 7,         // a failure inside a running computation
  kBufferTooSmall = 8,   // the caller's buffer is too small
  kContextFull = 9,      // the session's context has no room
};

// Every code, for tests and mappings.
inline constexpr ErrorCode kAllErrorCodes[] = {
    ErrorCode::kInvalidArgument, ErrorCode::kIsaUnavailable, ErrorCode::kUnsupported,
    ErrorCode::kIoError,         ErrorCode::kInvalidModel,   ErrorCode::kOutOfMemory,
    ErrorCode::kInternal,        ErrorCode::kBufferTooSmall, ErrorCode::kContextFull};

const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;
};

inline Error InvalidArgument(std::string m) {
  return {ErrorCode::kInvalidArgument, std::move(m)};
}
inline Error IsaUnavailable(std::string m) {
  return {ErrorCode::kIsaUnavailable, std::move(m)};
}
inline Error Unsupported(std::string m) {
  return {ErrorCode::kUnsupported, std::move(m)};
}
inline Error IoError(std::string m) {
  return {ErrorCode::kIoError, std::move(m)};
}
inline Error InvalidModel(std::string m) {
  return {ErrorCode::kInvalidModel, std::move(m)};
}
inline Error OutOfMemory(std::string m) {
  return {ErrorCode::kOutOfMemory, std::move(m)};
}
inline Error Internal(std::string m) {
  return {ErrorCode::kInternal, std::move(m)};
}
inline Error ContextFull(std::string m) {
  return {ErrorCode::kContextFull, std::move(m)};
}

template <typename T>
class Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Expected(Error e) : v_(std::move(e)) {}      // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const std::string& error() const { return std::get<1>(v_).message; }
  ErrorCode code() const { return std::get<1>(v_).code; }
  // The error itself, to pass on unchanged: `if (!x.ok()) return x.failure();`.
  const Error& failure() const { return std::get<1>(v_); }
  // The error with `prefix` before its message, code kept.
  Error failure(const std::string& prefix) const { return {code(), prefix + error()}; }

 private:
  std::variant<T, Error> v_;
};

// Success-or-error for operations with no value.
class Status {
 public:
  Status() = default;
  Status(Error e) : error_(std::move(e)), failed_(true) {}  // NOLINT
  static Status Ok() { return {}; }
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& error() const { return error_.message; }
  // Meaningful only when !ok().
  ErrorCode code() const { return error_.code; }
  const Error& failure() const { return error_; }
  Error failure(const std::string& prefix) const { return {code(), prefix + error()}; }

 private:
  Error error_{ErrorCode::kInternal, {}};
  bool failed_ = false;
};

inline const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kIsaUnavailable:
      return "ISA unavailable";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kIoError:
      return "I/O error";
    case ErrorCode::kInvalidModel:
      return "invalid model";
    case ErrorCode::kOutOfMemory:
      return "out of memory";
    case ErrorCode::kInternal:
      return "internal error";
    case ErrorCode::kBufferTooSmall:
      return "buffer too small";
    case ErrorCode::kContextFull:
      return "context full";
  }
  return "unknown error";
}

}  // namespace lutra
