#include "tools/common/output.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "tools/common/args.h"

namespace lutra::tools {
namespace {
int g_errno = 0;  // the first write error seen on stdout
}  // namespace

bool FlushOutput() {
  if (g_errno != 0) return false;
  errno = 0;
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    // EIO when stdio set the error flag without an errno (a failed write an earlier call
    // made): better than "Success".
    g_errno = errno != 0 ? errno : EIO;
    return false;
  }
  return true;
}

void FailOutput() {
  Fail(std::string("cannot write output: ") + std::strerror(g_errno != 0 ? g_errno : EIO));
}

void FlushOutputOrDie() {
  if (!FlushOutput()) FailOutput();
}

int FinishOutput() {
  if (!FlushOutput()) {
    std::fprintf(stderr, "%s: cannot write output: %s\n", ToolName(), std::strerror(g_errno));
    return 1;
  }
  errno = 0;
  if (std::fclose(stdout) != 0) {
    std::fprintf(stderr, "%s: cannot write output: %s\n", ToolName(),
                 std::strerror(errno != 0 ? errno : EIO));
    return 1;
  }
  // stderr is unbuffered: a failed message left its error flag set. Nothing can be said
  // about it (it is where messages go), but the status still tells.
  if (std::fflush(stderr) != 0 || std::ferror(stderr)) return 1;
  return 0;
}

}  // namespace lutra::tools
