#include "tools/chat/line_reader.h"

#include <termios.h>
#include <unistd.h>

#include <cerrno>

namespace lutra::tools {
namespace {
std::string g_pending;  // bytes read past the last returned line
}  // namespace

ReadResult ReadLine(std::string* line) {
  for (;;) {
    const size_t nl = g_pending.find('\n');
    if (nl != std::string::npos) {
      *line = g_pending.substr(0, nl);
      g_pending.erase(0, nl + 1);
      return ReadResult::kLine;
    }
    char buf[4096];
    const ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) {
      g_pending.clear();  // a half-typed line is abandoned, as a shell does
      return ReadResult::kInterrupted;
    }
    if (n <= 0) {
      if (g_pending.empty()) return ReadResult::kEndOfInput;
      *line = g_pending;  // last line without a newline
      g_pending.clear();
      return ReadResult::kLine;
    }
    g_pending.append(buf, size_t(n));
  }
}

bool TerminalCutLine(const std::string& line) {
  if (line.size() < kTerminalLineLimit) return false;
  struct termios t {};
  return ::tcgetattr(0, &t) == 0 && (t.c_lflag & ICANON) != 0;
}

}  // namespace lutra::tools
