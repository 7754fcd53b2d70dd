// Scaffolding shared by the kernel tests: a registry table as test parameters, and the check of a
// kernel's name against its descriptor (the name grammar of docs/kernels.md).
#pragma once

#include <gtest/gtest.h>

#include <regex>
#include <span>
#include <string>
#include <vector>

#include "arch/isa.h"
#include "kernels/common/kernel.h"

namespace lutra::testing {

// Every entry of a registry table, best first.
template <typename Desc>
std::vector<Desc> AllOf(std::span<const Desc> table) {
  return {table.begin(), table.end()};
}

// A test's name is its kernel's name.
struct KernelName {
  template <typename Desc>
  std::string operator()(const ::testing::TestParamInfo<Desc>& info) const {
    return info.param.name;
  }
};

// Instantiates the value-parameterised Suite once per entry of the registry table.
#define LUTRA_INSTANTIATE_REGISTRY(Suite, table)                                                 \
  INSTANTIATE_TEST_SUITE_P(Registry, Suite, ::testing::ValuesIn(::lutra::testing::AllOf(table)), \
                           ::lutra::testing::KernelName())

// Matches `name` against `pattern`, a regular expression whose last group is the ISA level, and
// checks that the level's features are `isa`. Records a failure and returns false when the name
// does not match or the level is unknown; *m holds the groups for the caller's field checks.
inline bool MatchName(const char* name, const std::string& pattern, arch::IsaSet isa,
                      std::cmatch* m) {
  if (!std::regex_match(name, *m, std::regex(pattern))) {
    ADD_FAILURE() << name << " does not match " << pattern;
    return false;
  }
  const std::string level_name = (*m)[m->size() - 1].str();
  arch::IsaSet level = 0;
  if (!arch::LevelFeatures(level_name, &level)) {
    ADD_FAILURE() << name << ": unknown ISA level " << level_name;
    return false;
  }
  EXPECT_EQ(level, isa) << name;
  return true;
}

// Kernel<Fn> names: <prefix>_u<unroll>[v]__<level>, e.g. lutra_vec_dot_f32_u32__avx2 for the
// prefix lutra_vec_dot_f32; the unroll and the "v" (in vectors) are the descriptor's.
template <typename Fn>
void CheckUnrollName(const kernels::Kernel<Fn>& k, const std::string& prefix) {
  std::cmatch m;
  ASSERT_TRUE(MatchName(k.name, prefix + "_u([0-9]+)(v?)__([a-z0-9]+)", k.isa, &m));
  EXPECT_EQ(std::stoul(m[1].str()), k.unroll) << k.name;
  EXPECT_EQ(m[2].str() == "v", k.unroll_in_vectors) << k.name;
}

}  // namespace lutra::testing
