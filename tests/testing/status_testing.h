// Checks over lutra::Status for the component tests.
#pragma once

#include <string>

#include "engine/src/common/status.h"

// The status as a bool, its message copied to *error when it failed, so a check reads
//   ASSERT_TRUE(Ok(cache.Advance(n), &err)) << err;
inline bool Ok(const lutra::Status& status, std::string* error) {
  if (!status.ok()) *error = status.error();
  return status.ok();
}
