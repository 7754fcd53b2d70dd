// Temporary files a tool creates (lutra-bench's synthetic model and private repack-cache
// directory, lutra-convert's synthetic input) are removed however the process ends: a normal
// return, Fail() (std::exit), or SIGINT / SIGTERM / SIGHUP. A synthetic model is hundreds of
// MB; Ctrl-C must not leave it in $TMPDIR. The signal handler uses only system calls (unlink,
// getdents64, kill, waitpid, signal, raise), which are async-signal-safe, on paths copied into
// fixed buffers when they were registered.
#pragma once

#include <sys/types.h>

#include <string>

namespace lutra::tools {

// Creates an empty file DIR/PREFIX-XXXXXX.gguf exclusively (mkstemps: O_EXCL, a fresh name),
// registers it and the name the library's writer uses for its own temporary file beside it
// (PATH.tmp.PID), and returns its path; Fail() when it cannot.
std::string CreateTempModelFile(const std::string& dir, const std::string& prefix);

// Creates a fresh directory DIR/PREFIX-XXXXXX (mkdtemp, mode 0700), registers it for removal
// with everything written into it, and returns its path; Fail() when it cannot.
std::string CreateTempDir(const std::string& dir, const std::string& prefix);

// Registers `path` (and PATH.tmp.PID) for removal at exit and on the signals above.
void RemoveOnExit(const std::string& path);

// Installs the handler for SIGINT, SIGTERM and SIGHUP: remove the registered files, then
// die of the same signal (so the exit status still says "killed by SIGINT").
void RemoveTempFilesOnSignals();

// A child process that may be writing into the registered paths (0: none). Before removing
// them, the cleanup kills it (SIGKILL) and reaps it, so nothing is written after the removal.
void SetWritingChild(pid_t child);

// Removes the registered files now; async-signal-safe (for other signal handlers). Only the
// process that registered them removes them: a forked child that exits or is interrupted
// leaves them to its parent, which may still be using them.
void RemoveTempFilesNow();

}  // namespace lutra::tools
