// Checks shared by the session entry points (session_api.cc, generate_api.cc).
#pragma once

#include "engine/src/api/handles.h"

namespace lutra::api {

lutra::engine::sampler::SamplerParams ToSamplerParams(const lutra_sampler_options& o);

// Tokens non-NULL, inside the vocabulary, and fitting the context; else the failure status.
lutra_status CheckTokens(lutra_session* s, const int32_t* tokens, size_t count,
                         const char* function);

}  // namespace lutra::api
