// Reads a whole input file the user named (-f prompt or text files): opened without blocking
// and checked to be a regular file, so a FIFO does not hang the tool and a directory is a
// message instead of an abort.
#pragma once

#include <string>

namespace lutra::tools {

// The file's bytes; false with *error naming the path and the problem ("/tmp/d: is a
// directory, not a text file").
bool ReadRegularFile(const std::string& path, std::string* text, std::string* error);

// ReadRegularFile, or Fail() with its message (exit status 1).
std::string ReadFileOrDie(const std::string& path);

}  // namespace lutra::tools
