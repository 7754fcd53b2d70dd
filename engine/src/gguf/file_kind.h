// Names what kind of file a stat mode describes, for messages that refuse a path ("is a FIFO
// (named pipe)"), so a user learns what they pointed the tool at.
#pragma once

#include <sys/types.h>

namespace lutra::gguf {

// "a regular file", "a directory", "a FIFO (named pipe)", "a character device", "a block
// device", "a socket", "a symbolic link" or "a special file".
const char* FileKindName(mode_t mode);

}  // namespace lutra::gguf
