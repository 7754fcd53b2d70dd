// Write errors on the standard streams. A tool whose output went nowhere (a full disk,
// `> /dev/full`, a closed pipe's reader gone with SIGPIPE ignored) must not exit 0: a script
// could not tell that the text was lost. Checked at every flush and once more at exit.
#pragma once

namespace lutra::tools {

// fflush(stdout); false (the error remembered) when it or an earlier write failed.
bool FlushOutput();

// Prints "<tool>: cannot write output: <strerror>" and exits with status 1.
[[noreturn]] void FailOutput();

// FlushOutput() or FailOutput().
void FlushOutputOrDie();

// For the end of main: flushes and closes stdout and checks stderr; 0 when all output was
// written, else 1 (after the message, when stderr still works).
int FinishOutput();

}  // namespace lutra::tools
