// Thread-local last-error message behind lutra_last_error().
#pragma once

#include <string>

#include "engine/src/common/status.h"
#include "lutra/lutra.h"

namespace lutra::api {

// Records `message` for lutra_last_error() and returns `status`, so a failing path reads
//   return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "info is NULL");
lutra_status Fail(lutra_status status, std::string message);
// The same for a fixed message, without throwing (entry points check NULL handles before any
// exception guard, and the guard's own handlers must not throw): if even copying the message
// fails, the thread's message is left empty.
lutra_status Fail(lutra_status status, const char* message) noexcept;

// The status a C caller gets for an engine error: the one mapping from codes to statuses (the
// message is never read to classify an error).
constexpr lutra_status StatusOf(ErrorCode code) {
  return static_cast<lutra_status>(static_cast<int>(code));
}
// Records the error's message and returns its status.
lutra_status Fail(const Error& error);

// Clears the message at the start of a successful call.
void ClearError();

}  // namespace lutra::api
