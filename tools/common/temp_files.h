// Temporary files a tool creates (lutra-bench's synthetic model, lutra-convert's synthetic
// input) are removed however the process ends: a normal return, Fail() (std::exit), or
// SIGINT / SIGTERM / SIGHUP. A synthetic model is hundreds of MB; Ctrl-C must not leave it in
// $TMPDIR. The signal handler uses only unlink(), signal() and raise(), which are
// async-signal-safe, on paths copied into fixed buffers when they were registered.
#pragma once

#include <string>

namespace lutra::tools {

// Creates an empty file DIR/PREFIX-XXXXXX.gguf exclusively (mkstemps: O_EXCL, a fresh name),
// registers it and the name the library's writer uses for its own temporary file beside it
// (PATH.tmp.PID), and returns its path; Fail() when it cannot.
std::string CreateTempModelFile(const std::string& dir, const std::string& prefix);

// Registers `path` (and PATH.tmp.PID) for removal at exit and on the signals above.
void RemoveOnExit(const std::string& path);

// Installs the handler for SIGINT, SIGTERM and SIGHUP: remove the registered files, then
// die of the same signal (so the exit status still says "killed by SIGINT").
void RemoveTempFilesOnSignals();

// Removes the registered files now; async-signal-safe (for other signal handlers).
void RemoveTempFilesNow();

}  // namespace lutra::tools
