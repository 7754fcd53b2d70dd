// Shared by the session entry points (session_api.cc, generate_api.cc).
#pragma once

#include "engine/src/api/handles.h"

namespace lutra::api {

lutra::engine::sampler::SamplerParams ToSamplerParams(const lutra_sampler_options& o);

// The status of a failed session call of the engine (models::Session, models::Generate).
inline lutra_status StatusOf(lutra::engine::models::SessionError e) {
  using lutra::engine::models::SessionError;
  switch (e) {
    case SessionError::kInvalidArgument:
      return LUTRA_STATUS_INVALID_ARGUMENT;
    case SessionError::kContextFull:
      return LUTRA_STATUS_CONTEXT_FULL;
    case SessionError::kUnsupported:
      return LUTRA_STATUS_UNSUPPORTED;
    case SessionError::kNone:
    case SessionError::kInternal:
      break;
  }
  return LUTRA_STATUS_INTERNAL;
}

}  // namespace lutra::api
