// Test main shared by every lutra test binary: runs the tests under a watchdog that names a
// hanging case, then prints which kernel variants ran and which were skipped on this CPU.
#include <gtest/gtest.h>

#include "tests/testing/variant_log.h"
#include "tests/testing/watchdog.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  lutra::testing::InstallWatchdog();
  const int result = RUN_ALL_TESTS();
  lutra::testing::PrintVariantSummary();
  return result;
}
