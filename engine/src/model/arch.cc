#include "engine/src/model/arch.h"

#include <string>

#include "engine/src/arch_bitnet/bitnet.h"
#include "engine/src/arch_llama/llama.h"
#include "engine/src/arch_qwen/qwen.h"

namespace lutra::engine::model {
namespace {

struct Entry {
  std::string_view name;
  ArchBuilder build;
};

const Entry kArchs[] = {
    {"llama", arch_llama::BuildLlama},
    {"qwen2", arch_qwen::BuildQwen2},
    {"qwen3", arch_qwen::BuildQwen3},
    {"bitnet", arch_bitnet::BuildBitnet},
    {"bitnet-b1.58", arch_bitnet::BuildBitnetB158},
    {"bitnet-25", arch_bitnet::BuildBitnet25},
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

}  // namespace lutra::engine::model
