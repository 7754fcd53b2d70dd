#include "tools/common/sigbus.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>

#include "tools/common/args.h"
#include "tools/common/temp_files.h"

namespace lutra::tools {
namespace {

char g_message[256];  // composed before the handler is installed: it may not allocate
size_t g_length = 0;

void OnSigbus(int) {
  (void)!::write(2, g_message, g_length);
  RemoveTempFilesNow();
  ::_exit(1);
}

}  // namespace

void InstallSigbusHandler() {
  const char* tool = ToolName();
  const char* text =
      ": the model file changed or was truncated while mapped; use --no-mmap to avoid\n";
  const size_t a = std::min(std::strlen(tool), sizeof g_message / 2);
  std::memcpy(g_message, tool, a);
  std::memcpy(g_message + a, text, std::strlen(text));
  g_length = a + std::strlen(text);
  struct sigaction sa {};
  sa.sa_handler = OnSigbus;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, nullptr);
}

}  // namespace lutra::tools
