// SIGBUS from a mapped model: reading a page past the end of a file that was truncated while
// mapped raises SIGBUS, which by default kills the process without a word. The tools install
// this handler (the library never takes over process signals): it prints one line naming the
// cause and the way around it, removes the tool's temporary files, and exits with status 1.
#pragma once

namespace lutra::tools {

// "<tool>: the model file changed or was truncated while mapped; use --no-mmap to avoid".
// Call after SetToolName(); uses only write() and _exit() (async-signal-safe).
void InstallSigbusHandler();

}  // namespace lutra::tools
