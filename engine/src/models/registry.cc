#include "engine/src/models/registry.h"

#include <string>

#include "engine/src/models/bitnet.h"
#include "engine/src/models/gemma.h"
#include "engine/src/models/llama.h"
#include "engine/src/models/phi3.h"
#include "engine/src/models/qwen.h"

namespace lutra::engine::models {
namespace {

struct Entry {
  std::string_view name;
  ArchBuilder build;
};

const Entry kArchs[] = {
    {"llama", models::BuildLlama},
    {"qwen2", models::BuildQwen2},
    {"qwen3", models::BuildQwen3},
    {"bitnet", models::BuildBitnet},
    {"bitnet-b1.58", models::BuildBitnetB158},
    {"bitnet-25", models::BuildBitnet25},
    {"gemma2", models::BuildGemma2},
    {"gemma3", models::BuildGemma3},
    {"phi3", models::BuildPhi3},
};

}  // namespace

Expected<ArchBuilder> FindArchBuilder(std::string_view arch) {
  std::string names;
  for (const Entry& e : kArchs) {
    if (e.name == arch) return e.build;
    names += (names.empty() ? "" : ", ") + std::string(e.name);
  }
  return InvalidModel("model: architecture '" + std::string(arch) +
                      "' is not supported (supported: " + names + ")");
}

}  // namespace lutra::engine::models
