// Reads lines from standard input with read(2), so that Ctrl-C (SIGINT, installed without
// SA_RESTART) interrupts a pending read instead of being swallowed by stdio buffering.
#pragma once

#include <cstddef>
#include <string>

namespace lutra::tools {

enum class ReadResult { kLine, kEndOfInput, kInterrupted };

// One line without its '\n'. kInterrupted when a signal arrived before a whole line.
ReadResult ReadLine(std::string* line);

// A terminal in canonical mode (the normal line-editing mode) keeps at most this many bytes
// of a line and drops the rest before the program sees any of it (Linux: a 4096-byte buffer
// that must still hold the newline). Reading in raw mode would lose the terminal's line
// editing; instead the chat tells the user.
constexpr size_t kTerminalLineLimit = 4095;

// True when `line` came from such a terminal and reached the limit, i.e. was probably cut
// (a line of exactly 4095 bytes cannot be told apart).
bool TerminalCutLine(const std::string& line);

}  // namespace lutra::tools
