// Which kernel variants a test binary ran and which it skipped (and why), printed at exit so
// CI logs show per target what was really exercised.
#pragma once

#include <string>

#include "arch/isa.h"

namespace lutra::testing {

void RecordRun(const std::string& variant);
void RecordSkip(const std::string& variant, const std::string& reason);
void PrintVariantSummary();

// The feature set tests run with: the host's, capped by LUTRA_ISA like the engine.
arch::IsaSet TestFeatures();

}  // namespace lutra::testing

// Skips the current test (with a message naming the missing ISA) unless the host can run a
// kernel requiring `isa`; records the outcome for the summary either way.
#define LUTRA_REQUIRE_ISA(variant_name, isa)                                                \
  do {                                                                                      \
    const ::lutra::arch::IsaSet lutra_missing_ = (isa) & ~::lutra::testing::TestFeatures(); \
    if (lutra_missing_ != 0) {                                                              \
      const std::string lutra_reason_ = "needs " + ::lutra::arch::FeatureNames(lutra_missing_); \
      ::lutra::testing::RecordSkip(variant_name, lutra_reason_);                            \
      GTEST_SKIP() << (variant_name) << " " << lutra_reason_ << ", which this CPU lacks";   \
    }                                                                                       \
    ::lutra::testing::RecordRun(variant_name);                                              \
  } while (0)
