// Error-or-value results for the GGUF and tokenizer code: no exceptions cross these APIs.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace lutra {

struct Error {
  std::string message;
};

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

 private:
  std::variant<T, Error> v_;
};

// Success-or-message for operations with no value.
class Status {
 public:
  Status() = default;
  Status(Error e) : msg_(std::move(e.message)), failed_(true) {}  // NOLINT
  static Status Ok() { return {}; }
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& error() const { return msg_; }

 private:
  std::string msg_;
  bool failed_ = false;
};

}  // namespace lutra
