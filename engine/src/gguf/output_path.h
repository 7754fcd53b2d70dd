// Where a written file really goes, checked before any work is done. Writers replace their
// destination by renaming a finished temporary file over it, and rename() replaces whatever
// is at the path: run as root with OUT = /dev/null it would replace the system's /dev/null with
// a regular file. So the destination must be absent or a regular file; a symbolic link is
// followed (to its final target, even a dangling one) and the target is replaced, never the
// link itself, so the link keeps pointing at the new file.
#pragma once

#include <string>

#include "engine/src/common/status.h"

namespace lutra::gguf {

// The path the file is to be renamed onto: `path` itself, or the final target of the symbolic
// link(s) at `path`. An error naming the path and what it is when that is not a regular file
// (a directory, FIFO, socket, device), or when its directory does not exist.
Expected<std::string> ResolveOutputPath(const std::string& path);

}  // namespace lutra::gguf
