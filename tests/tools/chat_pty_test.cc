// lutra-chat driven through a pseudo-terminal, as a person uses it: a reply streams, Ctrl-C
// (the terminal's interrupt character) stops it and the prompt comes back, /reset clears the
// conversation, /exit ends the program with status 0 and the statistics line.
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "tests/model/model_testing.h"

namespace lutra::testing {
namespace {

class PtyProcess {
 public:
  explicit PtyProcess(const std::vector<std::string>& argv) {
    pid_ = forkpty(&fd_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~PtyProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) close(fd_);
  }
  bool started() const { return pid_ > 0 && fd_ >= 0; }
  const std::string& output() const { return out_; }

  void Send(const std::string& s) { ASSERT_EQ(write(fd_, s.data(), s.size()), ssize_t(s.size())); }

  // Reads until `needle` occurs at or after `from` in the output, or the timeout passes.
  bool Expect(const std::string& needle, size_t from, int timeout_ms = 30000) {
    return ReadUntil([&] { return out_.find(needle, from) != std::string::npos; }, timeout_ms);
  }
  // Reads until the output has grown to `size` bytes.
  bool ExpectSize(size_t size, int timeout_ms = 30000) {
    return ReadUntil([&] { return out_.size() >= size; }, timeout_ms);
  }
  // Exit status, or -1 if the process did not exit in time.
  int Wait(int timeout_ms = 30000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < end) {
      ReadUntil([] { return false; }, 50);
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        ReadUntil([] { return false; }, 50);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
    }
    return -1;
  }

 private:
  template <typename Done>
  bool ReadUntil(Done done, int timeout_ms) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            end - std::chrono::steady_clock::now())
                            .count();
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, int(left)) <= 0) continue;
      char buf[4096];
      const ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) return done();  // EIO once the child has exited
      out_.append(buf, size_t(n));
    }
    return true;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  bool exited_ = false;
  std::string out_;
};

TEST(ChatPty, StreamsStopsOnCtrlCResetsAndExits) {
  const std::string model = ModelsDir() + "/stories260K.gguf";
  if (!std::ifstream(model).good()) GTEST_SKIP() << model << " is absent (set LUTRA_MODELS_DIR)";
  // A context and reply limit far beyond what a test waits for: only Ctrl-C ends the reply.
  PtyProcess chat({std::string(LUTRA_TOOLS_DIR) + "/lutra-chat", "-m", model, "-c", "60000", "-n",
                   "60000", "--ignore-eos", "--seed", "7"});
  ASSERT_TRUE(chat.started());
  ASSERT_TRUE(chat.Expect("> ", 0)) << chat.output();

  size_t mark = chat.output().size();
  chat.Send("Once upon a time\n");
  ASSERT_TRUE(chat.ExpectSize(mark + 400)) << "no streamed reply:\n" << chat.output();
  chat.Send("\x03");  // the terminal's interrupt character: SIGINT to lutra-chat
  ASSERT_TRUE(chat.Expect("[interrupted]\r\n> ", mark)) << chat.output().substr(mark);

  mark = chat.output().size();
  chat.Send("/reset\n");
  ASSERT_TRUE(chat.Expect("(conversation reset)", mark)) << chat.output().substr(mark);
  ASSERT_TRUE(chat.Expect("> ", mark)) << chat.output().substr(mark);

  mark = chat.output().size();
  chat.Send("/exit\n");
  EXPECT_EQ(chat.Wait(), 0) << chat.output().substr(mark);
  if (std::getenv("LUTRA_SHOW_CHAT")) std::cout << chat.output();
  EXPECT_NE(chat.output().find("lutra-chat: prompt ", mark), std::string::npos)
      << chat.output().substr(mark);
}

// A terminal in canonical mode keeps only the first 4095 bytes of a line: the chat says the
// line was cut and does not send the truncated text.
TEST(ChatPty, LineCutByTheTerminalIsReported) {
  const std::string model = ModelsDir() + "/stories260K.gguf";
  if (!std::ifstream(model).good()) GTEST_SKIP() << model << " is absent (set LUTRA_MODELS_DIR)";
  PtyProcess chat({std::string(LUTRA_TOOLS_DIR) + "/lutra-chat", "-m", model, "-n", "4"});
  ASSERT_TRUE(chat.started());
  ASSERT_TRUE(chat.Expect("> ", 0)) << chat.output();
  size_t mark = chat.output().size();
  chat.Send(std::string(5000, 'a') + "\n");
  ASSERT_TRUE(chat.Expect("[the terminal cuts lines at 4095 bytes", mark))
      << chat.output().substr(mark, 200);
  ASSERT_TRUE(chat.Expect("> ", chat.output().find("[the terminal cuts", mark)));
  // A line under the limit is sent as usual.
  mark = chat.output().size();
  chat.Send(std::string(3000, 'b') + "\n");
  chat.Send("/exit\n");
  EXPECT_EQ(chat.Wait(), 0) << chat.output().substr(mark, 200);
  EXPECT_EQ(chat.output().find("[the terminal cuts", mark), std::string::npos);
}

}  // namespace
}  // namespace lutra::testing
