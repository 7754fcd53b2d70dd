// Shared by the session entry points (session_api.cc, generate_api.cc).
#pragma once

#include "engine/src/api/handles.h"

namespace lutra::api {

lutra::engine::sampler::SamplerParams ToSamplerParams(const lutra_sampler_options& o);

}  // namespace lutra::api
