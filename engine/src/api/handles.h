// What the C API's opaque handles hold, and the guard every entry point runs its body in.
#pragma once

#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "engine/src/api/error.h"
#include "engine/src/models/model.h"
#include "engine/src/sampler/sampler.h"
#include "lutra/lutra.h"

struct lutra_model {
  std::unique_ptr<lutra::engine::models::Model> model;
  std::string arch, name, chat_template;
  bool has_chat_template = false;
  uint64_t n_params = 0, file_bytes = 0;
  // lutra_model_last_error: set by failing calls that take the model, which may run on
  // several threads at once (the model is otherwise immutable).
  mutable std::mutex error_mutex;
  mutable std::string last_error;
};

struct lutra_session {
  const lutra_model* model = nullptr;
  std::unique_ptr<lutra::engine::models::Session> session;
  std::string last_error;
  // The generator of lutra_session_sample, created (and seeded) at the first sample after
  // create or reset.
  std::unique_ptr<lutra::engine::sampler::Sampler> sampler;
  lutra::engine::sampler::SamplerParams sampler_params;
  std::vector<float> work;  // logits copy the sampler edits in place
};

namespace lutra::api {

// Records a session failure for the session and for this thread.
inline lutra_status FailSession(lutra_session* s, lutra_status status, std::string message) {
  s->last_error = message;
  return Fail(status, std::move(message));
}

// The message of an exception caught at the C boundary; composing it may itself run out of
// memory, and then the function name alone is recorded.
inline lutra_status FailGuarded(lutra_status status, const char* function,
                                const char* what) noexcept {
  try {
    return Fail(status, std::string(function) +
                            (status == LUTRA_STATUS_INTERNAL ? ": internal error: " : ": ") + what);
  } catch (...) {
    return Fail(status, function);
  }
}

// Runs `body` (returning lutra_status) so that no exception crosses the C boundary.
template <typename Body>
lutra_status Guard(const char* function, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return FailGuarded(LUTRA_STATUS_OUT_OF_MEMORY, function, "out of memory");
  } catch (const std::exception& e) {
    return FailGuarded(LUTRA_STATUS_INTERNAL, function, e.what());
  } catch (...) {
    return FailGuarded(LUTRA_STATUS_INTERNAL, function, "unknown exception");
  }
}

// Same for a session call: the message also goes to the session.
template <typename Body>
lutra_status GuardSession(lutra_session* s, const char* function, Body&& body) noexcept {
  const lutra_status status = Guard(function, body);
  if (status != LUTRA_STATUS_OK && s != nullptr) {
    try {
      s->last_error = lutra_last_error();
    } catch (...) {
    }
  }
  return status;
}

// Same for a call that takes a model: the message also goes to the model.
template <typename Body>
lutra_status GuardModel(const lutra_model* m, const char* function, Body&& body) noexcept {
  const lutra_status status = Guard(function, body);
  if (status != LUTRA_STATUS_OK && m != nullptr) {
    try {
      std::lock_guard<std::mutex> lock(m->error_mutex);
      m->last_error = lutra_last_error();
    } catch (...) {
    }
  }
  return status;
}

// Options structs must come from their _init(): a different struct_size means a caller built
// against another version of this header.
// LUTRA_NO_CACHE set to anything but "" or "0" (cache_api.cc).
bool CacheDisabledByEnvironment();

template <typename T>
bool CheckStructSize(const T* p, const char* what, const char* function) {
  if (p->struct_size == sizeof(T)) return true;
  Fail(LUTRA_STATUS_INVALID_ARGUMENT, std::string(function) + ": " + what + ".struct_size is " +
                                          std::to_string(p->struct_size) + ", expected " +
                                          std::to_string(sizeof(T)) + " (use the _init function)");
  return false;
}

}  // namespace lutra::api
