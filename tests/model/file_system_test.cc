// What users point lutra at, through the C API: output paths that are FIFOs, directories,
// sockets or symbolic links (lutra_write_synthetic_model, lutra_convert_check), a temporary
// name already taken, model paths that are FIFOs or sockets (must not block), a file whose
// context_length is absurd, and the count of bytes a vocabulary cannot represent. Every case
// runs in a fresh mkdtemp directory.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "engine/src/synthetic/synthetic.h"
#include "lutra/lutra.h"
#include "tests/model/model_testing.h"
#include "tests/testing/scratch_dir.h"

namespace lutra::testing {
namespace {

lutra_status WriteTiny(const std::string& path) {
  lutra_synthetic_options so;
  lutra_synthetic_options_init(&so);
  return lutra_write_synthetic_model(path.c_str(), &so);
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(FileSystem, OutputThatIsNotARegularFileIsRefused) {
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  ASSERT_EQ(::mkdir((dir / "dir").c_str(), 0755), 0);
  const bool socket = dir.MakeSocket("sock");
  ASSERT_EQ(::symlink("fifo", (dir / "link-to-fifo").c_str()), 0);
  struct Case {
    std::string name, kind;
  };
  std::vector<Case> cases = {{"fifo", "is a FIFO (named pipe)"},
                             {"dir", "is a directory"},
                             {"link-to-fifo", "(a link to " + dir.path() + "/fifo) is a FIFO"}};
  if (socket) cases.push_back({"sock", "is a socket"});
  for (const Case& c : cases) {
    const std::string path = dir / c.name;
    EXPECT_EQ(WriteTiny(path), LUTRA_STATUS_IO_ERROR) << c.name;
    EXPECT_TRUE(Contains(lutra_last_error(), path)) << lutra_last_error();
    EXPECT_TRUE(Contains(lutra_last_error(), c.kind)) << lutra_last_error();
    EXPECT_EQ(lutra_convert_check(path.c_str(), nullptr), LUTRA_STATUS_IO_ERROR) << c.name;
    EXPECT_TRUE(Contains(lutra_last_error(), c.kind)) << lutra_last_error();
  }
  // Untouched, and no temporary file left behind.
  EXPECT_TRUE(S_ISFIFO(LinkMode(dir / "fifo")));
  EXPECT_TRUE(S_ISDIR(LinkMode(dir / "dir")));
  EXPECT_TRUE(S_ISLNK(LinkMode(dir / "link-to-fifo")));
  std::vector<std::string> want = {"dir", "fifo", "link-to-fifo"};
  if (socket) want.push_back("sock");
  EXPECT_EQ(dir.List(), want);

  EXPECT_EQ(WriteTiny(dir / "missing/out.gguf"), LUTRA_STATUS_IO_ERROR);
  EXPECT_TRUE(Contains(lutra_last_error(), "does not exist")) << lutra_last_error();
}

TEST(FileSystem, SymbolicLinkOutputReplacesItsTarget) {
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_EQ(::mkdir((dir / "models").c_str(), 0755), 0);
  // A relative link to a file not written yet, reached through a second link.
  ASSERT_EQ(::symlink("models/real.gguf", (dir / "link").c_str()), 0);
  ASSERT_EQ(::symlink((dir / "link").c_str(), (dir / "link2").c_str()), 0);
  for (int round = 0; round < 2; ++round) {  // dangling target, then an existing one
    ASSERT_EQ(WriteTiny(dir / "link2"), LUTRA_STATUS_OK) << lutra_last_error();
    EXPECT_TRUE(S_ISLNK(LinkMode(dir / "link")));
    EXPECT_TRUE(S_ISLNK(LinkMode(dir / "link2")));
    EXPECT_TRUE(S_ISREG(LinkMode(dir / "models/real.gguf")));
    EXPECT_EQ(dir.List(), (std::vector<std::string>{"link", "link2", "models"}));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / "models"), {}), 1);
  }
  lutra_model* m = nullptr;
  ASSERT_EQ(lutra_model_load((dir / "link").c_str(), nullptr, &m), LUTRA_STATUS_OK)
      << lutra_last_error();
  lutra_model_free(m);
}

// The temporary name is created exclusively: whatever already has it is neither opened nor
// replaced (a FIFO there would block an O_TRUNC open, a symlink would redirect it).
TEST(FileSystem, TemporaryNameAlreadyTakenIsLeftAlone) {
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string out = dir / "out.gguf";
  const std::string taken = out + ".tmp." + std::to_string(::getpid());
  ASSERT_EQ(::mkfifo(taken.c_str(), 0644), 0);
  ASSERT_EQ(WriteTiny(out), LUTRA_STATUS_OK) << lutra_last_error();
  EXPECT_TRUE(S_ISFIFO(LinkMode(taken)));
  EXPECT_TRUE(S_ISREG(LinkMode(out)));
  EXPECT_EQ(dir.List().size(), 2u);
}

// Loads `path` in a child process; the exit code carries the status, -1 if it did not return
// within 10 s (a FIFO opened without O_NONBLOCK blocks forever).
int LoadInChild(const std::string& path, int use_mmap, std::string* error) {
  int fds[2];
  if (::pipe(fds) != 0) return -2;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    lutra_model_options o;
    lutra_model_options_init(&o);
    o.use_mmap = use_mmap;
    lutra_model* m = nullptr;
    const lutra_status s = lutra_model_load(path.c_str(), &o, &m);
    const char* e = lutra_last_error();
    (void)!::write(fds[1], e, std::strlen(e));
    ::_exit(int(s));
  }
  ::close(fds[1]);
  int status = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > end) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ::close(fds[0]);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  char buf[1024];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buf, sizeof buf)) > 0) error->append(buf, size_t(n));
  ::close(fds[0]);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -3;
}

TEST(FileSystem, ModelPathThatIsNotARegularFile) {
  if (std::getenv("LUTRA_TEST_EMULATED") != nullptr) {
    GTEST_SKIP() << "forks a child that loads; skipped under emulation";
  }
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);
  ASSERT_EQ(::mkdir((dir / "dir").c_str(), 0755), 0);
  const bool socket = dir.MakeSocket("sock");
  for (int mmap : {1, 0}) {
    for (const char* name : {"fifo", "dir", "sock"}) {
      if (std::string(name) == "sock" && !socket) continue;
      std::string error;
      EXPECT_EQ(LoadInChild(dir / name, mmap, &error), int(LUTRA_STATUS_IO_ERROR))
          << name << " mmap " << mmap << ": " << error;
      EXPECT_TRUE(Contains(error, dir / name)) << error;
      EXPECT_TRUE(Contains(error, ", not a model file")) << error;
    }
  }
}

TEST(FileSystem, AbsurdContextLengthNamesTheKey) {
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  auto c = engine::synthetic::SyntheticPreset("tiny");
  ASSERT_TRUE(c.ok());
  c->context = 0xFFFFFFFFu;
  const std::string path = dir / "ctx.gguf";
  ASSERT_TRUE(engine::synthetic::WriteSyntheticLlama(*c, path).ok());
  lutra_model* m = nullptr;
  EXPECT_EQ(lutra_model_load(path.c_str(), nullptr, &m), LUTRA_STATUS_INVALID_MODEL);
  EXPECT_TRUE(Contains(lutra_last_error(), "llama.context_length = 4294967295"))
      << lutra_last_error();
  // An explicit context does not depend on the key: the model loads and runs.
  lutra_model_options o;
  lutra_model_options_init(&o);
  o.context_length = 32;
  ASSERT_EQ(lutra_model_load(path.c_str(), &o, &m), LUTRA_STATUS_OK) << lutra_last_error();
  lutra_session* s = nullptr;
  EXPECT_EQ(lutra_session_create(m, &s), LUTRA_STATUS_OK) << lutra_last_error();
  lutra_session_free(s);
  lutra_model_free(m);
}

// lutra_tokenize_lost_bytes against what lutra_tokenize does to each byte on its own: a byte
// is lost when it tokenizes to nothing or to <unk>.
TEST(FileSystem, VocabulariesThatLoseBytesSaySo) {
  int tested = 0;
  for (const char* v : {"vocab-falcon", "vocab-starcoder", "vocab-gpt-2", "vocab-llama-spm"}) {
    const std::string path = ModelsDir() + "/" + v + ".gguf";
    if (!std::filesystem::exists(path)) continue;
    lutra_model_options o;
    lutra_model_options_init(&o);
    o.vocab_only = 1;
    lutra_model* m = nullptr;
    ASSERT_EQ(lutra_model_load(path.c_str(), &o, &m), LUTRA_STATUS_OK) << lutra_last_error();
    std::string all;
    size_t want = 0;
    for (int b = 0; b < 256; ++b) {
      const char byte = char(b);
      all += byte;
      int32_t ids[8];
      size_t n = 0;
      ASSERT_EQ(lutra_tokenize(m, &byte, 1, 0, 0, ids, 8, &n), LUTRA_STATUS_OK);
      char piece[16];
      size_t len = 0;
      const bool unk =
          n == 1 && lutra_token_to_piece(m, ids[0], piece, sizeof piece, &len) == LUTRA_STATUS_OK &&
          (len != 1 || piece[0] != byte);
      if (std::string(v) != "vocab-llama-spm") want += (n == 0 || unk) ? 1 : 0;
    }
    size_t lost = 0;
    ASSERT_EQ(lutra_tokenize_lost_bytes(m, all.data(), all.size(), &lost), LUTRA_STATUS_OK);
    EXPECT_EQ(lost, want) << v;
    if (std::string(v) == "vocab-falcon" || std::string(v) == "vocab-starcoder") {
      EXPECT_GT(lost, 0u) << v;  // the reason this count exists
    }
    ASSERT_EQ(lutra_tokenize_lost_bytes(m, "plain text", 10, &lost), LUTRA_STATUS_OK);
    EXPECT_EQ(lost, 0u) << v;
    lutra_model_free(m);
    ++tested;
  }
  if (tested == 0) GTEST_SKIP() << "no vocabulary files in " << ModelsDir();
}

}  // namespace
}  // namespace lutra::testing
