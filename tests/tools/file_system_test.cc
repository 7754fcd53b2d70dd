// The tools against what users point them at (issue 30): outputs that are FIFOs, directories,
// sockets or symbolic links, text and model paths that are not regular files, a full stdout
// (/dev/full), Ctrl-C while lutra-bench holds a temporary model, a model file truncated while
// mapped (SIGBUS), and the messages of the "weaker" cases (-c above the training context,
// --isa, the chat's context-full notice, usage errors). Everything is made in a fresh mkdtemp
// directory; every command runs under `timeout`, so a tool that blocks fails the test.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/src/gguf/reader.h"
#include "tests/model/model_testing.h"
#include "tests/testing/scratch_dir.h"

namespace lutra::testing {
namespace {

struct Result {
  int status = -1;  // exit status; 124 when `timeout` had to stop the tool
  std::string out;  // stdout and stderr
};

std::string Tool(const std::string& name) {
  return std::string(LUTRA_TOOLS_DIR) + "/" + name;
}

// `command` through the shell, stderr merged into the captured output (`redirect`: the
// command's own redirections instead).
Result Shell(const std::string& command, const std::string& redirect = " 2>&1") {
  Result r;
  FILE* p = popen(("timeout 60 " + command + redirect).c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

size_t Count(const std::string& s, const std::string& part) {
  size_t n = 0;
  for (size_t at = 0; (at = s.find(part, at)) != std::string::npos; at += part.size()) ++n;
  return n;
}

std::string Stories() {
  return ModelsDir() + "/stories260K.gguf";
}

#define REQUIRE_STORIES()                                                       \
  if (!std::ifstream(Stories()).good()) {                                       \
    GTEST_SKIP() << Stories() << " is absent (set LUTRA_MODELS_DIR); skipping"; \
  }

#define REQUIRE_SCRATCH(dir) \
  ScratchDir dir;            \
  ASSERT_TRUE(dir.ok()) << "mkdtemp failed"

TEST(ToolsFileSystem, ConvertRefusesOutputsThatAreNotRegularFiles) {
  REQUIRE_SCRATCH(dir);
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  ASSERT_EQ(::mkdir((dir / "dir").c_str(), 0755), 0);
  std::vector<std::pair<std::string, std::string>> cases = {{"fifo", "is a FIFO (named pipe)"},
                                                            {"dir", "is a directory"}};
  if (dir.MakeSocket("sock")) cases.push_back({"sock", "is a socket"});
  const std::vector<std::string> before = dir.List();
  for (const auto& [name, kind] : cases) {
    // --synthetic: the check must come before the synthetic model is written.
    for (const std::string& input : {std::string("--synthetic tiny"), Stories()}) {
      if (input == Stories() && !std::ifstream(Stories()).good()) continue;
      const Result r = Shell(Tool("lutra-convert") + " " + input + " " + (dir / name) + " --quiet");
      EXPECT_EQ(r.status, 1) << r.out;
      EXPECT_NE(r.out.find("lutra-convert: " + (dir / name) + " " + kind +
                           ": refusing to write a model over it"),
                std::string::npos)
          << r.out;
    }
  }
  EXPECT_TRUE(S_ISFIFO(LinkMode(dir / "fifo")));
  EXPECT_EQ(dir.List(), before);  // nothing replaced, no temporary file left
}

TEST(ToolsFileSystem, ConvertWritesThroughASymbolicLink) {
  REQUIRE_SCRATCH(dir);
  ASSERT_EQ(::mkdir((dir / "models").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("models/real.gguf", (dir / "link").c_str()), 0);
  const Result r =
      Shell(Tool("lutra-convert") + " --synthetic tiny " + (dir / "link") + " --wtype q4 --quiet");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(S_ISLNK(LinkMode(dir / "link")));  // the link stays a link
  EXPECT_TRUE(S_ISREG(LinkMode(dir / "models/real.gguf")));
  EXPECT_EQ(dir.List(), (std::vector<std::string>{"link", "models"}));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / "models"), {}), 1);
}

TEST(ToolsFileSystem, ConvertBadOptionValuesAreUsageErrors) {
  REQUIRE_SCRATCH(dir);
  const std::string out = dir / "out.gguf";
  for (const auto& [flags, message] : std::vector<std::pair<std::string, std::string>>{
           {"--group 48", "group size must be 32, 64 or 128 (got 48)"},
           {"--wtype q9", "--wtype: unknown type 'q9'"},
           {"--method fancy", "unknown method 'fancy'"},
           {"--keep foo", "--keep 'foo': expected PATTERN=TYPE"}}) {
    const Result r = Shell(Tool("lutra-convert") + " --synthetic tiny " + out + " " + flags);
    EXPECT_EQ(r.status, 2) << flags << ": " << r.out;
    EXPECT_NE(r.out.find(message), std::string::npos) << r.out;
    EXPECT_EQ(Count(r.out, "(see --help)"), 1u) << r.out;
  }
  const Result r = Shell(Tool("lutra-convert") + " a b c");
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_EQ(Count(r.out, "(see --help)"), 1u) << r.out;
  EXPECT_TRUE(dir.List().empty());  // nothing written, not even the synthetic input
}

TEST(ToolsFileSystem, TextAndModelPathsThatAreNotRegularFiles) {
  REQUIRE_SCRATCH(dir);
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  ASSERT_EQ(::mkdir((dir / "dir").c_str(), 0755), 0);
  std::vector<std::pair<std::string, std::string>> cases = {{"fifo", "is a FIFO (named pipe)"},
                                                            {"dir", "is a directory"}};
  if (dir.MakeSocket("sock")) cases.push_back({"sock", "is a socket"});
  for (const auto& [name, kind] : cases) {
    const std::string path = dir / name;
    // -f is read before the model is loaded: the model path does not matter.
    for (const std::string tool : {"lutra-run", "lutra-perplexity"}) {
      const Result r = Shell(Tool(tool) + " -m unused.gguf -f " + path);
      EXPECT_EQ(r.status, 1) << tool << " -f " << name << ": " << r.out;
      EXPECT_NE(r.out.find(tool + ": " + path + ": " + kind + ", not a text file"),
                std::string::npos)
          << r.out;
    }
    for (const std::string mmap : {"", " --no-mmap"}) {
      const Result r = Shell(Tool("lutra-run") + " -p hello -m " + path + mmap);
      EXPECT_EQ(r.status, 1) << "-m " << name << mmap << ": " << r.out;
      EXPECT_NE(r.out.find(path + ": " + kind + ", not a model file"), std::string::npos) << r.out;
    }
  }
}

TEST(ToolsFileSystem, PromptAndFileTogetherIsAUsageError) {
  REQUIRE_SCRATCH(dir);
  std::ofstream(dir / "p.txt") << "Once upon a time";
  const Result r = Shell(Tool("lutra-run") + " -m unused.gguf -p hello -f " + (dir / "p.txt"));
  EXPECT_EQ(r.status, 2) << r.out;
  EXPECT_NE(r.out.find("give the prompt with -p TEXT or -f FILE, not both"), std::string::npos)
      << r.out;
}

TEST(ToolsFileSystem, FullStdoutIsAnError) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  REQUIRE_STORIES();
  REQUIRE_SCRATCH(dir);
  const std::string text = std::string(LUTRA_TEST_DATA_DIR) + "/story.txt";
  const std::string m = " -m " + Stories();
  // stderr to the captured pipe, stdout to /dev/full.
  for (const std::string& cmd :
       {Tool("lutra-run") + m + " -p 'Once upon a time' -n 8 --temp 0",
        Tool("lutra-perplexity") + m + " -f " + text + " -c 64",
        "printf 'Once upon a time\\n' | " + Tool("lutra-chat") + m + " -n 8",
        Tool("lutra-bench") + " --synthetic tiny --wtype f32 -p 4 -n 0 -t 1 -r 1 -o csv",
        Tool("lutra-convert") + " --synthetic tiny " + (dir / "out.gguf") + " --wtype q4"}) {
    const Result r = Shell(cmd, " 2>&1 >/dev/full");
    EXPECT_EQ(r.status, 1) << cmd << "\n" << r.out;
    EXPECT_NE(r.out.find(": cannot write output: No space left on device"), std::string::npos)
        << cmd << "\n"
        << r.out;
  }
  // The converter stopped at its first report line: no output file.
  EXPECT_TRUE(dir.List().empty());
}

// Starts lutra-bench writing its synthetic model into `tmpdir`, waits until it says so, sends
// `sig` `after` that, and returns the wait status.
int InterruptBench(const std::string& tmpdir, const std::string& log, int sig,
                   std::chrono::milliseconds after) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("TMPDIR", tmpdir.c_str(), 1);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    const std::string bench = Tool("lutra-bench");
    ::execl(bench.c_str(), bench.c_str(), "--synthetic", "tiny", "--wtype", "f32", "-p", "64", "-n",
            "64", "-t", "1", "-r", "1000", "-o", "csv", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // The tool names the model it writes once the file exists (and is registered for removal).
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  auto announced = [&log] {
    std::ifstream in(log);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    return text.find("lutra-bench: writing synthetic tiny") != std::string::npos;
  };
  while (std::chrono::steady_clock::now() < end && !announced()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::this_thread::sleep_for(after);
  ::kill(pid, sig);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > end) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status;
}

TEST(ToolsFileSystem, BenchRemovesItsTemporaryModelWhenInterrupted) {
  REQUIRE_SCRATCH(tmp);
  REQUIRE_SCRATCH(logs);
  // At once (the model may still be being written) and while benchmarking.
  for (int sig : {SIGINT, SIGTERM}) {
    for (int ms : {0, 300}) {
      const int status =
          InterruptBench(tmp.path(), logs / "log", sig, std::chrono::milliseconds(ms));
      std::ifstream in(logs / "log");
      const std::string log((std::istreambuf_iterator<char>(in)), {});
      ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status << "\n" << log;
      EXPECT_EQ(WTERMSIG(status), sig) << log;
      EXPECT_NE(log.find("lutra-bench: writing synthetic tiny"), std::string::npos) << log;
      EXPECT_TRUE(tmp.List().empty()) << tmp.List()[0] << " left behind after signal " << sig;
    }
  }
}

// The private repack-cache directory of the load times (and the synthetic model) go when the
// run ends, whether it succeeds or a model fails to load in the benchmark's child process.
TEST(ToolsFileSystem, BenchRemovesItsCacheDirectoryAtExit) {
  REQUIRE_SCRATCH(tmp);
  REQUIRE_SCRATCH(dir);
  const std::string env = "env TMPDIR=" + tmp.path() + " ";
  Result r = Shell(env + Tool("lutra-bench") + " --synthetic tiny --wtype q4_0 -p 0 -n 2 -t 1,2" +
                   " -r 1 -o csv");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(Count(r.out, "\"synthetic tiny q4_0\""), 2u) << r.out;
  EXPECT_TRUE(tmp.List().empty()) << tmp.List()[0] << " left behind";
  std::ofstream(dir / "bad.gguf") << "not a GGUF file";
  r = Shell(env + Tool("lutra-bench") + " -m " + (dir / "bad.gguf") + " -p 0 -n 2 -t 1 -r 1");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("lutra-bench: "), std::string::npos) << r.out;
  EXPECT_TRUE(tmp.List().empty()) << tmp.List()[0] << " left behind";
}

// lutra-chat on a copy of the model, waiting at its prompt; the copy is truncated, then a
// line is sent: the reply reads the (mapped) embedding table past the new end of the file.
Result ChatOnTruncatedModel(const std::string& model, const std::string& extra) {
  Result r;
  int in[2], out[2];
  if (::pipe(in) != 0 || ::pipe(out) != 0) return r;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    ::close(in[1]);
    ::close(out[0]);
    const std::string cmd = Tool("lutra-chat") + " -m " + model + " -n 8 --temp 0" + extra;
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  char buf[4096];
  while (r.out.find("lutra-chat: template") == std::string::npos) {
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    r.out.append(buf, size_t(n));
  }
  std::filesystem::resize_file(model, 0);
  const std::string line = "Once upon a time\n";
  (void)!::write(in[1], line.data(), line.size());
  ::close(in[1]);
  ssize_t n = 0;
  while ((n = ::read(out[0], buf, sizeof buf)) > 0) r.out.append(buf, size_t(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(ToolsFileSystem, ModelTruncatedWhileMappedIsReported) {
  REQUIRE_STORIES();
  REQUIRE_SCRATCH(dir);
  const std::string copy = dir / "model.gguf";
  std::filesystem::copy_file(Stories(), copy);
  Result r = ChatOnTruncatedModel(copy, "");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("lutra-chat: the model file changed or was truncated while mapped; use "
                       "--no-mmap to avoid\n"),
            std::string::npos)
      << r.out;
  // Read into memory, the model does not need the file any more.
  std::filesystem::remove(copy);
  std::filesystem::copy_file(Stories(), copy);
  r = ChatOnTruncatedModel(copy, " --no-mmap");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out.find("truncated while mapped"), std::string::npos) << r.out;
}

TEST(ToolsFileSystem, ContextAboveTheTrainingContextIsRefused) {
  REQUIRE_STORIES();
  auto f = gguf::File::open(Stories());
  ASSERT_TRUE(f.ok());
  auto train = f->get_count("llama.context_length");
  ASSERT_TRUE(train.ok());
  const std::string c = std::to_string(*train * 2);
  const std::string want = "-c " + c + " is above the model's training context " +
                           "(llama.context_length = " + std::to_string(*train) + ")";
  for (const std::string& tool :
       {std::string("lutra-run -p hello"),
        "lutra-perplexity -f " + std::string(LUTRA_TEST_DATA_DIR) + "/story.txt"}) {
    const Result r = Shell(Tool(tool) + " -m " + Stories() + " -c " + c);
    EXPECT_EQ(r.status, 2) << tool << ": " << r.out;
    EXPECT_NE(r.out.find(want), std::string::npos) << r.out;
  }
  // lutra-chat says so and goes on.
  const Result r = Shell("printf '' | " + Tool("lutra-chat") + " -m " + Stories() + " -c " + c);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("lutra-chat: warning: " + want), std::string::npos) << r.out;
}

TEST(ToolsFileSystem, IsaTheCpuLacksIsNamedAsTheFlag) {
#if defined(__x86_64__) || defined(__i386__)
  const std::string missing = "neon";
#else
  const std::string missing = "avx2";
#endif
  for (const std::string& cmd : {Tool("lutra-run") + " -m unused.gguf -p hello --isa " + missing,
                                 Tool("lutra-bench") + " --synthetic tiny --isa " + missing}) {
    const Result r = Shell("env -u LUTRA_ISA " + cmd);
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.out.find(": --isa " + missing + " needs "), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("LUTRA_ISA"), std::string::npos) << r.out;
  }
}

TEST(ToolsFileSystem, ChatSaysWhenAMessageCannotFit) {
  REQUIRE_STORIES();
  const Result r = Shell("printf 'Once upon a time there was a little girl named Lily\\n' | " +
                         Tool("lutra-chat") + " -m " + Stories() + " -c 8 -n 4");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("tokens; the context holds 8: raise -c to send it]"), std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("0 of 8"), std::string::npos) << r.out;
}

TEST(ToolsFileSystem, BenchTinyRunsWithTheDefaultType) {
  const Result r = Shell(Tool("lutra-bench") + " --synthetic tiny -p 4 -n 4 -t 1 -r 1 -o csv");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("using q4_0 instead"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"synthetic tiny q4_0\""), std::string::npos) << r.out;
}

}  // namespace
}  // namespace lutra::testing
