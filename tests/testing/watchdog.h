// A test that hangs is named and stopped: when one test case runs longer than the limit
// (LUTRA_TEST_WATCHDOG_SECONDS, default 600), the binary prints the case's name and aborts.
// Without it a hang shows up only as ctest's timeout of a whole shard, with no test named.
// SIGALRM rather than a watching thread: several tests fork and start threads in the child,
// which ThreadSanitizer refuses after a fork of a multi-threaded process.
#pragma once

namespace lutra::testing {

// Call after InitGoogleTest: registers the listener that arms the alarm for each test case.
void InstallWatchdog();

// A shorter limit for the running test case, for tests whose failure mode is a hang.
void LimitThisTest(unsigned seconds);

}  // namespace lutra::testing
