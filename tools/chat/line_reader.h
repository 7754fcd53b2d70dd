// Reads lines from standard input with read(2), so that Ctrl-C (SIGINT, installed without
// SA_RESTART) interrupts a pending read instead of being swallowed by stdio buffering.
#pragma once

#include <string>

namespace lutra::tools {

enum class ReadResult { kLine, kEndOfInput, kInterrupted };

// One line without its '\n'. kInterrupted when a signal arrived before a whole line.
ReadResult ReadLine(std::string* line);

}  // namespace lutra::tools
