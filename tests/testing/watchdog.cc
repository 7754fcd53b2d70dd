#include "tests/testing/watchdog.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace lutra::testing {
namespace {

// Written before the alarm is armed and read only by the handler (write(2) is
// async-signal-safe; formatting is not, so the whole line is prepared here).
char g_message[512];
size_t g_message_length = 0;
unsigned g_limit_seconds = 600;

void OnAlarm(int) {
  (void)!write(STDERR_FILENO, g_message, g_message_length);
  abort();
}

void Arm(const ::testing::TestInfo& info, unsigned seconds) {
  alarm(0);
  const int n = std::snprintf(g_message, sizeof g_message,
                              "\n[lutra watchdog] %s.%s has run for %u s: aborting so the hang "
                              "is named\n",
                              info.test_suite_name(), info.name(), seconds);
  g_message_length = n < 0 ? 0 : std::min(size_t(n), sizeof g_message - 1);
  alarm(seconds);
}

class Listener : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo& info) override { Arm(info, g_limit_seconds); }
  void OnTestEnd(const ::testing::TestInfo&) override { alarm(0); }
};

}  // namespace

void LimitThisTest(unsigned seconds) {
  if (const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info()) {
    Arm(*info, std::min(seconds, g_limit_seconds));
  }
}

void InstallWatchdog() {
  if (const char* v = std::getenv("LUTRA_TEST_WATCHDOG_SECONDS"); v != nullptr && *v != '\0') {
    char* end = nullptr;
    const unsigned long s = std::strtoul(v, &end, 10);
    if (*end == '\0' && s > 0 && s < 86400) g_limit_seconds = unsigned(s);
  }
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = OnAlarm;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, nullptr);
  ::testing::UnitTest::GetInstance()->listeners().Append(new Listener);
}

}  // namespace lutra::testing
