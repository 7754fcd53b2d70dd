// Thread-local last-error message behind lutra_last_error().
#pragma once

#include <string>

#include "lutra/lutra.h"

namespace lutra::api {

// Records `message` for lutra_last_error() and returns `status`, so a failing path reads
//   return Fail(LUTRA_STATUS_INVALID_ARGUMENT, "info is NULL");
lutra_status Fail(lutra_status status, std::string message);

// Clears the message at the start of a successful call.
void ClearError();

}  // namespace lutra::api
