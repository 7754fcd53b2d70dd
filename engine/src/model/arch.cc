#include "engine/src/model/arch.h"

#include <string>

#include "engine/src/arch_llama/llama.h"

namespace lutra::engine::model {
namespace {

struct Entry {
  std::string_view name;
  ArchBuilder build;
};

const Entry kArchs[] = {
    {"llama", arch_llama::BuildLlama},
};

}  // namespace

Expected<ArchBuilder> FindArchBuilder(std::string_view arch) {
  std::string names;
  for (const Entry& e : kArchs) {
    if (e.name == arch) return e.build;
    names += (names.empty() ? "" : ", ") + std::string(e.name);
  }
  return Error{"model: architecture '" + std::string(arch) +
               "' is not supported (supported: " + names + ")"};
}

}  // namespace lutra::engine::model
