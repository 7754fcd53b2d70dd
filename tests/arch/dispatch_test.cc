// ISA detection, the LUTRA_ISA cap, and registry selection as a pure function of the flags.
#include <gtest/gtest.h>

#include <string>

#include "arch/detect.h"
#include "arch/isa.h"
#include "engine/src/dispatch/kernel_catalog.h"
#include "kernels/common/select.h"

namespace lutra::arch {
namespace {

TEST(IsaCap, NativeAndEmptyKeepHostFeatures) {
  IsaSet capped = 0;
  std::string error;
  EXPECT_TRUE(ApplyIsaCap(kLevelAVX512 | kAVX512VNNI, "", &capped, &error));
  EXPECT_EQ(capped, kLevelAVX512 | kAVX512VNNI);
  EXPECT_TRUE(ApplyIsaCap(kLevelAVX512, "native", &capped, &error));
  EXPECT_EQ(capped, kLevelAVX512);
}

TEST(IsaCap, LowerLevelMasksFeaturesDown) {
  IsaSet capped = 0;
  std::string error;
  ASSERT_TRUE(ApplyIsaCap(kLevelAVX512VBMI | kAVX512VNNI, "avx2", &capped, &error)) << error;
  EXPECT_EQ(capped, kLevelAVX2);
  ASSERT_TRUE(ApplyIsaCap(kLevelI8MM | kSVE, "neon", &capped, &error)) << error;
  EXPECT_EQ(capped, kNEON);
  ASSERT_TRUE(ApplyIsaCap(kLevelAVX512, "scalar", &capped, &error)) << error;
  EXPECT_EQ(capped, 0u);
}

TEST(IsaCap, MissingFeatureIsAnErrorNamingIt) {
  IsaSet capped = 12345;
  std::string error;
  EXPECT_FALSE(ApplyIsaCap(kLevelAVX2, "avx512", &capped, &error));
  EXPECT_NE(error.find("LUTRA_ISA=avx512"), std::string::npos) << error;
  EXPECT_NE(error.find("avx512f"), std::string::npos) << error;
  EXPECT_EQ(capped, 12345u) << "a failed cap must not change the output";
  EXPECT_FALSE(ApplyIsaCap(kLevelAVX512, "neon", &capped, &error));
  EXPECT_NE(error.find("neon"), std::string::npos) << error;
}

TEST(IsaCap, UnknownNameIsAnErrorListingKnownOnes) {
  IsaSet capped = 0;
  std::string error;
  EXPECT_FALSE(ApplyIsaCap(kLevelAVX2, "avx9000", &capped, &error));
  EXPECT_NE(error.find("avx9000"), std::string::npos) << error;
  EXPECT_NE(error.find("scalar"), std::string::npos) << error;
}

TEST(IsaLevels, EveryLevelIsNamedAndNested) {
  // Each level's name round-trips, and levels of one family only add features.
  for (const IsaLevel& level : kIsaLevels) {
    IsaSet f = 0;
    ASSERT_TRUE(LevelFeatures(level.name, &f)) << level.name;
    EXPECT_EQ(f, level.features);
  }
  EXPECT_TRUE(Supports(kLevelAVX512, kLevelAVX2));
  EXPECT_TRUE(Supports(kLevelAVX512VBMI, kLevelAVX512));
  EXPECT_TRUE(Supports(kLevelI8MM, kLevelDOTPROD));
}

TEST(HostDetection, ReportsSomethingSensible) {
  const HostCpu& host = Host();
  EXPECT_TRUE(host.detected);
  EXPECT_FALSE(host.name.empty());
  EXPECT_GE(host.cores, 1u);
  EXPECT_GE(host.performance_cores, 1u);
  EXPECT_LE(host.performance_cores, host.cores);
#if defined(__aarch64__)
  EXPECT_TRUE(host.features & kNEON);
#endif
#if defined(__riscv)
  // qemu's -cpu v=true/false decides; both must be self-consistent.
  EXPECT_EQ((host.features & kRVV) != 0, host.rvv_vlenb != 0);
  if (host.rvv_vlenb != 0) EXPECT_EQ(host.rvv_vlenb & (host.rvv_vlenb - 1), 0u);
#endif
  std::printf("[lutra] host: %s; features: %s; vlenb %u\n", host.name.c_str(),
              FeatureNames(host.features).c_str(), host.rvv_vlenb);
}

// Selection walks every registry with each feature set masked one level down and must pick
// the first variant whose ISA is covered, never one that is not.
TEST(Dispatch, EveryOpSelectsTheBestCoveredVariantForEveryLevel) {
  for (const engine::KernelOp& op : engine::KernelOps()) {
    const auto variants = op.variants();
    ASSERT_FALSE(variants.empty()) << op.op;
    EXPECT_EQ(variants.back().isa, kLevelScalar) << op.op << ": last variant must be scalar";
    for (const IsaLevel& level : kIsaLevels) {
      const std::string chosen = op.selected(level.features);
      const engine::KernelVariant* expected = nullptr;
      for (const auto& v : variants) {
        if (Supports(level.features, v.isa)) {
          expected = &v;
          break;
        }
      }
      ASSERT_NE(expected, nullptr) << op.op;
      EXPECT_EQ(chosen, expected->name) << op.op << " at level " << level.name;
    }
    EXPECT_STREQ(op.selected(0), variants.back().name) << op.op;
  }
}

}  // namespace
}  // namespace lutra::arch

namespace lutra::kernels {
namespace {

struct FakeDesc {
  const char* name;
  arch::IsaSet isa;
};

TEST(SelectFirst, PicksBestCoveredEntryOfASyntheticRegistry) {
  const FakeDesc table[] = {{"vnni", arch::kLevelAVX512VNNI},
                            {"avx512", arch::kLevelAVX512},
                            {"avx2", arch::kLevelAVX2},
                            {"neon", arch::kLevelNEON},
                            {"scalar", arch::kLevelScalar}};
  const std::span<const FakeDesc> span(table);
  EXPECT_STREQ(SelectFirst(span, arch::kLevelAVX512VNNI | arch::kAVX512VBMI)->name, "vnni");
  EXPECT_STREQ(SelectFirst(span, arch::kLevelAVX512VBMI)->name, "avx512");
  EXPECT_STREQ(SelectFirst(span, arch::kLevelAVX512 & ~arch::kAVX512BW)->name, "avx2");
  EXPECT_STREQ(SelectFirst(span, arch::kLevelAVX2)->name, "avx2");
  EXPECT_STREQ(SelectFirst(span, arch::kLevelAVX2 & ~arch::kFMA)->name, "scalar");
  EXPECT_STREQ(SelectFirst(span, arch::kLevelDOTPROD)->name, "neon");
  EXPECT_STREQ(SelectFirst(span, arch::IsaSet{0})->name, "scalar");
  EXPECT_EQ(SelectFirst(span.first(2), arch::kLevelAVX2), nullptr);
}

}  // namespace
}  // namespace lutra::kernels
