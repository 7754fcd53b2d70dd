// Test main shared by every lutra test binary: runs the tests, then prints which kernel
// variants ran and which were skipped on this CPU.
#include <gtest/gtest.h>

#include "tests/testing/variant_log.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const int result = RUN_ALL_TESTS();
  lutra::testing::PrintVariantSummary();
  return result;
}
