// The repack cache through the C API: a hit restores exactly the model an in-memory repack
// builds (bit-identical logits for every repacked type), and every way the cache can go wrong
// (stale source, damaged entry, unusable or full directory, a concurrent writer, the size cap)
// ends in a working model, a rebuilt or untouched cache and a message naming the cause.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/src/dispatch/kernel_config.h"
#include "gtest/gtest.h"
#include "lutra/lutra.h"
#include "tests/testing/scratch_dir.h"
#include "tests/testing/variant_log.h"

namespace lutra::testing {
namespace {

// Whether this CPU's kernels multiply Q4_0 on the file's own blocks (AVX-512 VNNI): then a Q4_0
// file repacks nothing and is not cached; elsewhere it is repacked (q4rows, the lookup kernels).
bool Q4_0InPlace() {
  return engine::KernelConfig::For(TestFeatures()).q4_0_in_place();
}

bool Emulated() {
  const char* e = std::getenv("LUTRA_TEST_EMULATED");
  return e != nullptr && *e == '1';
}

// The "small" preset: rows of 256 and 768 weights, which every repacked type accepts.
lutra_status WriteModel(const std::string& path, const char* wtype, uint64_t seed = 1) {
  lutra_synthetic_options o;
  lutra_synthetic_options_init(&o);
  o.preset = "small";
  o.weight_type = wtype;
  o.seed = seed;
  return lutra_write_synthetic_model(path.c_str(), &o);
}

struct Loaded {
  lutra_model* model = nullptr;
  lutra_model_info info{};
  std::string cache_path, warning;
  ~Loaded() { lutra_model_free(model); }
};

// Loads `path` with the cache in `dir` (mode: LUTRA_CACHE_ON, _OFF or _DEFAULT).
std::unique_ptr<Loaded> Load(const std::string& path, const std::string& dir,
                             int mode = LUTRA_CACHE_ON, bool repack_q4_k = false) {
  auto l = std::make_unique<Loaded>();
  lutra_model_options o;
  lutra_model_options_init(&o);
  o.cache = mode;
  o.repack_q4_k = repack_q4_k ? 1 : 0;
  o.cache_dir = dir.c_str();
  o.threads = 1;
  if (lutra_model_load(path.c_str(), &o, &l->model) != LUTRA_STATUS_OK) {
    ADD_FAILURE() << "load failed: " << lutra_last_error();
    return l;
  }
  lutra_model_info_init(&l->info);
  EXPECT_EQ(lutra_model_get_info(l->model, &l->info), LUTRA_STATUS_OK);
  l->cache_path = l->info.cache_path;
  l->warning = l->info.cache_warning;
  return l;
}

// Logits after a few tokens: what a restored model must reproduce bit for bit.
std::vector<float> Logits(lutra_model* model) {
  std::vector<float> out;
  lutra_session* s = nullptr;
  if (model == nullptr || lutra_session_create(model, &s) != LUTRA_STATUS_OK) {
    ADD_FAILURE() << "session: " << lutra_last_error();
    return out;
  }
  const float* logits = nullptr;
  size_t n = 0;
  for (int32_t t : {1, 7, 300, 42, 900}) {
    if (lutra_session_decode(s, t, &logits, &n) != LUTRA_STATUS_OK) {
      ADD_FAILURE() << "decode: " << lutra_last_error();
      break;
    }
    out.insert(out.end(), logits, logits + n);
  }
  lutra_session_free(s);
  return out;
}

std::vector<float> UncachedLogits(const std::string& path) {
  auto l = Load(path, "", LUTRA_CACHE_OFF);
  EXPECT_EQ(l->info.cache_result, LUTRA_CACHE_UNUSED);
  return Logits(l->model);
}

// The entries (*.lrc) and temporaries of `dir`.
std::vector<std::string> Files(const ScratchDir& dir, const std::string& sub = "cache") {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir / sub, ec)) {
    const std::string n = e.path().filename().string();
    if (n.find(".lrc") != std::string::npos) names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  return names;
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(std::streamoff(offset));
  char c = 0;
  f.read(&c, 1);
  c = char(c ^ 0x5A);
  f.seekp(std::streamoff(offset));
  f.write(&c, 1);
}

TEST(RepackCache, HitRestoresTheSameModelForEveryRepackedType) {
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  size_t cached = 0;
  for (const char* type : {"q4_0", "tq1_0", "tq2_0", "i2_s"}) {
    SCOPED_TRACE(type);
    if (std::string(type) == "q4_0" && Q4_0InPlace()) continue;  // FilesWithNothingWorthKeeping
    ++cached;
    const std::string model = dir / (std::string(type) + ".gguf");
    ASSERT_EQ(WriteModel(model, type), LUTRA_STATUS_OK) << lutra_last_error();
    const std::vector<float> want = UncachedLogits(model);
    ASSERT_FALSE(want.empty());
    uint64_t decode_bytes = 0;
    {
      auto first = Load(model, dir / "cache");
      decode_bytes = first->info.decode_bytes;
      EXPECT_EQ(first->info.cache_result, LUTRA_CACHE_WRITTEN) << first->warning;
      EXPECT_TRUE(std::filesystem::is_regular_file(first->cache_path)) << first->cache_path;
      EXPECT_EQ(Logits(first->model), want) << "the model that wrote the entry";
    }
    auto second = Load(model, dir / "cache");
    EXPECT_EQ(second->info.cache_result, LUTRA_CACHE_HIT) << second->warning;
    EXPECT_EQ(second->info.decode_bytes, decode_bytes);
    EXPECT_EQ(Logits(second->model), want) << "restored from the cache";
  }
  EXPECT_EQ(Files(dir).size(), cached);
}

// Q4_K is used in place unless the load asks for the lookup kernels' repack: only then is
// there an entry, restored bit for bit, and the in-place load next to it still writes none.
TEST(RepackCache, RepackedQ4KIsCachedInPlaceIsNot) {
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string model = dir / "q4_k.gguf";
  ASSERT_EQ(WriteModel(model, "q4_k"), LUTRA_STATUS_OK) << lutra_last_error();
  std::vector<float> want;
  {
    auto uncached = Load(model, "", LUTRA_CACHE_OFF, /*repack_q4_k=*/true);
    want = Logits(uncached->model);
    ASSERT_FALSE(want.empty());
  }
  {
    auto first = Load(model, dir / "cache", LUTRA_CACHE_ON, true);
    EXPECT_EQ(first->info.cache_result, LUTRA_CACHE_WRITTEN) << first->warning;
  }
  auto second = Load(model, dir / "cache", LUTRA_CACHE_ON, true);
  EXPECT_EQ(second->info.cache_result, LUTRA_CACHE_HIT) << second->warning;
  EXPECT_EQ(Logits(second->model), want);
  auto in_place = Load(model, dir / "cache", LUTRA_CACHE_ON, false);
  EXPECT_EQ(in_place->info.cache_result, LUTRA_CACHE_UNUSED) << in_place->warning;
  EXPECT_LT(in_place->info.decode_bytes, second->info.decode_bytes);
  EXPECT_EQ(Files(dir).size(), 1u);
}

// F16 matrices are not repacked; Q8_0 repacks at memory speed, so a copy would only cost disk;
// Q4_K and Q6_K (and Q4_0 with AVX-512 VNNI) are multiplied on the file's own blocks.
TEST(RepackCache, FilesWithNothingWorthKeepingWriteNothing) {
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  for (const char* type : {"f16", "q8_0", "q4_k", "q6_k", "q4_0"}) {
    SCOPED_TRACE(type);
    if (std::string(type) == "q4_0" && !Q4_0InPlace()) continue;  // repacked: cached
    const std::string model = dir / (std::string(type) + ".gguf");
    ASSERT_EQ(WriteModel(model, type), LUTRA_STATUS_OK) << lutra_last_error();
    const std::vector<float> want = UncachedLogits(model);
    auto l = Load(model, dir / "cache");
    EXPECT_EQ(l->info.cache_result, LUTRA_CACHE_UNUSED);
    EXPECT_EQ(Logits(l->model), want);
  }
  EXPECT_TRUE(Files(dir).empty());
}

TEST(RepackCache, ChangedSourceIsRebuiltInPlace) {
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string model = dir / "m.gguf";
  ASSERT_EQ(WriteModel(model, "tq2_0", 1), LUTRA_STATUS_OK);
  EXPECT_EQ(Load(model, dir / "cache")->info.cache_result, LUTRA_CACHE_WRITTEN);
  // Other weights, same size, and the old modification time put back: only the sampled
  // content tells the files apart.
  struct stat before;
  ASSERT_EQ(stat(model.c_str(), &before), 0);
  ASSERT_EQ(WriteModel(model, "tq2_0", 2), LUTRA_STATUS_OK);
  const timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, model.c_str(), times, 0), 0);
  const std::vector<float> want = UncachedLogits(model);
  auto l = Load(model, dir / "cache");
  EXPECT_EQ(l->info.cache_result, LUTRA_CACHE_WRITTEN) << "a stale entry must not be used";
  EXPECT_EQ(Logits(l->model), want);
  EXPECT_EQ(Files(dir).size(), 1u) << "the stale entry is replaced, not kept beside";
  // A new modification time alone (the file touched) also counts as a change.
  ASSERT_EQ(utimensat(AT_FDCWD, model.c_str(), nullptr, 0), 0);
  EXPECT_EQ(Load(model, dir / "cache")->info.cache_result, LUTRA_CACHE_WRITTEN);
  EXPECT_EQ(Load(model, dir / "cache")->info.cache_result, LUTRA_CACHE_HIT);
}

TEST(RepackCache, DamagedEntryIsDetectedAndRebuilt) {
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string model = dir / "m.gguf";
  ASSERT_EQ(WriteModel(model, "tq2_0"), LUTRA_STATUS_OK);
  const std::vector<float> want = UncachedLogits(model);
  const std::string entry = Load(model, dir / "cache")->cache_path;
  const uint64_t size = std::filesystem::file_size(entry);
  struct Damage {
    const char* what;
    std::function<void()> apply;
  };
  const std::vector<Damage> damages = {
      {"a flipped payload byte", [&] { FlipByte(entry, 4096 + (size - 4096) / 3); }},
      {"a flipped header byte", [&] { FlipByte(entry, 40); }},
      {"a flipped directory byte", [&] { FlipByte(entry, size - 20); }},
      {"truncated", [&] { std::filesystem::resize_file(entry, size / 2); }},
      {"empty", [&] { std::filesystem::resize_file(entry, 0); }},
  };
  for (const Damage& d : damages) {
    SCOPED_TRACE(d.what);
    d.apply();
    auto l = Load(model, dir / "cache");
    EXPECT_EQ(l->info.cache_result, LUTRA_CACHE_WRITTEN) << "rebuilt";
    EXPECT_NE(l->warning.find("damaged"), std::string::npos) << l->warning;
    EXPECT_EQ(Logits(l->model), want);
    EXPECT_EQ(Load(model, dir / "cache")->info.cache_result, LUTRA_CACHE_HIT);
  }
}

TEST(RepackCache, OffByOptionOrEnvironment) {
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string model = dir / "m.gguf";
  ASSERT_EQ(WriteModel(model, "tq2_0"), LUTRA_STATUS_OK);
  EXPECT_EQ(Load(model, dir / "cache", LUTRA_CACHE_OFF)->info.cache_result, LUTRA_CACHE_UNUSED);
  EXPECT_FALSE(std::filesystem::exists(dir / "cache")) << "--no-cache must not touch the disk";
  const char* saved = std::getenv("LUTRA_NO_CACHE");
  const std::string restore = saved != nullptr ? saved : "";
  setenv("LUTRA_NO_CACHE", "1", 1);
  EXPECT_EQ(Load(model, dir / "cache", LUTRA_CACHE_DEFAULT)->info.cache_result, LUTRA_CACHE_UNUSED);
  setenv("LUTRA_NO_CACHE", "0", 1);
  EXPECT_EQ(Load(model, dir / "cache", LUTRA_CACHE_DEFAULT)->info.cache_result,
            LUTRA_CACHE_WRITTEN);
  setenv("LUTRA_NO_CACHE", "1", 1);
  EXPECT_EQ(Load(model, dir / "cache", LUTRA_CACHE_ON)->info.cache_result, LUTRA_CACHE_HIT)
      << "an explicit ON wins over the environment";
  if (saved != nullptr) {
    setenv("LUTRA_NO_CACHE", restore.c_str(), 1);
  } else {
    unsetenv("LUTRA_NO_CACHE");
  }
  lutra_model_options o;
  lutra_model_options_init(&o);
  o.cache = 7;
  lutra_model* m = nullptr;
  EXPECT_EQ(lutra_model_load(model.c_str(), &o, &m), LUTRA_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lutra_last_error()).find("cache"), std::string::npos);
}

TEST(RepackCache, UnusableDirectoryStillLoads) {
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string model = dir / "m.gguf";
  ASSERT_EQ(WriteModel(model, "tq2_0"), LUTRA_STATUS_OK);
  const std::vector<float> want = UncachedLogits(model);
  // Under a regular file (cannot exist), and a read-only place: as root, permission bits do
  // not stop writes, so a directory of /proc (a file system nobody can create files in).
  std::ofstream(dir / "file") << "x";
  std::string read_only = dir / "ro";
  if (geteuid() == 0) {
    read_only = "/proc/lutra-repack-cache-test";
  } else {
    ASSERT_EQ(mkdir(read_only.c_str(), 0555), 0);
  }
  for (const std::string& cache : {dir / "file" + "/cache", read_only + "/cache"}) {
    SCOPED_TRACE(cache);
    auto l = Load(model, cache);
    EXPECT_EQ(l->info.cache_result, LUTRA_CACHE_FAILED);
    EXPECT_NE(l->warning.find("repacked in memory"), std::string::npos) << l->warning;
    EXPECT_EQ(Logits(l->model), want);
  }
}

TEST(RepackCache, AnotherWriterMeansAPrivateRepack) {
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string model = dir / "m.gguf";
  ASSERT_EQ(WriteModel(model, "tq2_0"), LUTRA_STATUS_OK);
  const std::vector<float> want = UncachedLogits(model);
  // The entry's name: find it by building once, then start over.
  const std::string entry = Load(model, dir / "cache")->cache_path;
  ASSERT_EQ(lutra_cache_clear((dir / "cache").c_str(), nullptr), LUTRA_STATUS_OK);
  const std::string lock = entry.substr(0, entry.size() - 4) + ".lock";
  const int fd = open(lock.c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(flock(fd, LOCK_EX), 0);  // as a process in the middle of writing it would
  {
    auto l = Load(model, dir / "cache");
    EXPECT_EQ(l->info.cache_result, LUTRA_CACHE_FAILED);
    EXPECT_NE(l->warning.find("another process"), std::string::npos) << l->warning;
    EXPECT_EQ(Logits(l->model), want);
    EXPECT_TRUE(Files(dir).empty()) << "nothing written beside the other writer";
  }
  close(fd);
  EXPECT_EQ(Load(model, dir / "cache")->info.cache_result, LUTRA_CACHE_WRITTEN);
}

TEST(RepackCache, KilledWritersTemporaryIsRemoved) {
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string model = dir / "m.gguf";
  ASSERT_EQ(WriteModel(model, "tq2_0"), LUTRA_STATUS_OK);
  const std::string entry = Load(model, dir / "cache")->cache_path;
  ASSERT_EQ(lutra_cache_clear((dir / "cache").c_str(), nullptr), LUTRA_STATUS_OK);
  // What a first load killed by Ctrl-C leaves: its temporary, under a process id long gone.
  std::ofstream(entry + ".tmp.999999999") << std::string(100000, 'x');
  std::ofstream(dir / "cache/other.lrc.tmp.5") << "another entry's";
  EXPECT_EQ(Load(model, dir / "cache")->info.cache_result, LUTRA_CACHE_WRITTEN);
  EXPECT_FALSE(std::filesystem::exists(entry + ".tmp.999999999"));
  EXPECT_TRUE(std::filesystem::exists(dir / "cache/other.lrc.tmp.5"))
      << "only the entry this load holds the lock of";
}

TEST(RepackCache, ConcurrentFirstLoadsNeverTearAnEntry) {
  if (Emulated()) GTEST_SKIP() << "forks loading children; native only";
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string model = dir / "m.gguf";
  ASSERT_EQ(WriteModel(model, "tq2_0"), LUTRA_STATUS_OK);
  const std::vector<float> want = UncachedLogits(model);
  for (int round = 0; round < 3; ++round) {
    ASSERT_EQ(lutra_cache_clear((dir / "cache").c_str(), nullptr), LUTRA_STATUS_OK);
    std::vector<pid_t> children;
    std::fflush(nullptr);
    for (int c = 0; c < 3; ++c) {
      const pid_t pid = fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        alarm(120);
        auto l = Load(model, dir / "cache");
        const bool ok = l->model != nullptr && Logits(l->model) == want &&
                        l->info.cache_result != LUTRA_CACHE_UNUSED;
        _exit(ok ? 0 : 1);
      }
      children.push_back(pid);
    }
    for (pid_t pid : children) {
      int status = 0;
      ASSERT_EQ(waitpid(pid, &status, 0), pid);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a child failed";
    }
    const std::vector<std::string> files = Files(dir);
    ASSERT_EQ(files.size(), 1u) << "one entry, no temporaries left";
    auto l = Load(model, dir / "cache");
    EXPECT_EQ(l->info.cache_result, LUTRA_CACHE_HIT) << l->warning;
    EXPECT_EQ(Logits(l->model), want);
  }
}

TEST(RepackCache, FullDiskStillLoadsAndLeavesNothing) {
  if (Emulated()) GTEST_SKIP() << "RLIMIT_FSIZE in a forked child; native only";
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string model = dir / "m.gguf";
  ASSERT_EQ(WriteModel(model, "tq2_0"), LUTRA_STATUS_OK);
  std::fflush(nullptr);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    alarm(120);
    // Writes past 64 KiB fail with EFBIG, as they would with ENOSPC on a full disk.
    signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{64 << 10, 64 << 10};
    setrlimit(RLIMIT_FSIZE, &limit);
    auto l = Load(model, dir / "cache");
    const bool ok = l->model != nullptr && l->info.cache_result == LUTRA_CACHE_FAILED &&
                    l->warning.find("writing") != std::string::npos;
    if (!ok)
      std::fprintf(stderr, "child: result %d, warning '%s'\n", l->info.cache_result,
                   l->warning.c_str());
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(Files(dir).empty()) << "the partial entry is removed";
  EXPECT_EQ(Load(model, dir / "cache")->info.cache_result, LUTRA_CACHE_WRITTEN);
}

TEST(RepackCache, CapEvictsTheLeastRecentlyUsed) {
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string cache = dir / "cache";
  std::vector<std::string> models, entries;
  for (int i = 0; i < 3; ++i) {
    models.push_back(dir / ("m" + std::to_string(i) + ".gguf"));
    ASSERT_EQ(WriteModel(models.back(), "tq2_0", uint64_t(i + 1)), LUTRA_STATUS_OK);
  }
  entries.push_back(Load(models[0], cache)->cache_path);
  entries.push_back(Load(models[1], cache)->cache_path);
  // m0 used long ago, m1 less long ago; then m0 again: m1 is now the least recently used.
  const auto now = time(nullptr);
  for (int i = 0; i < 2; ++i) {
    const timespec t[2] = {{now - 200 + 100 * i, 0}, {now - 200 + 100 * i, 0}};
    ASSERT_EQ(utimensat(AT_FDCWD, entries[size_t(i)].c_str(), t, 0), 0);
  }
  EXPECT_EQ(Load(models[0], cache)->info.cache_result, LUTRA_CACHE_HIT);
  // Room for two entries (and the estimate of one), not three.
  const uint64_t entry = std::filesystem::file_size(entries[0]);
  const uint64_t model_bytes = std::filesystem::file_size(models[2]);
  const uint64_t cap = std::max(2 * entry + entry / 2, model_bytes / 2 * 3 + 1);
  ASSERT_LT(cap, 3 * entry) << "the test needs entries larger than a third of the cap";
  setenv("LUTRA_CACHE_MAX", std::to_string(cap).c_str(), 1);
  EXPECT_EQ(Load(models[2], cache)->info.cache_result, LUTRA_CACHE_WRITTEN);
  unsetenv("LUTRA_CACHE_MAX");
  EXPECT_TRUE(std::filesystem::exists(entries[0])) << "recently used: kept";
  EXPECT_FALSE(std::filesystem::exists(entries[1])) << "least recently used: evicted";
  EXPECT_EQ(Files(dir).size(), 2u);
}

void CountEntry(const lutra_cache_entry* e, void* user) {
  auto* sources = static_cast<std::vector<std::string>*>(user);
  sources->push_back(e->source);
  EXPECT_GT(e->bytes, 4096u);
  EXPECT_GT(e->last_used, 0);
}

TEST(RepackCache, ListAndClear) {
  ScratchDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string cache = dir / "cache";
  const std::string model = dir / "m.gguf";
  ASSERT_EQ(WriteModel(model, "tq1_0"), LUTRA_STATUS_OK);
  const std::string entry = Load(model, cache)->cache_path;
  std::ofstream(cache + "/notes.txt") << "not ours";
  std::vector<std::string> sources;
  uint64_t total = 0, max = 0;
  ASSERT_EQ(lutra_cache_list(cache.c_str(), &CountEntry, &sources, &total, &max), LUTRA_STATUS_OK);
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources[0], std::filesystem::canonical(model).string());
  EXPECT_EQ(total, std::filesystem::file_size(entry));
  EXPECT_EQ(max, uint64_t{10} << 30) << "the default cap";
  uint64_t removed = 0;
  ASSERT_EQ(lutra_cache_clear(cache.c_str(), &removed), LUTRA_STATUS_OK);
  EXPECT_EQ(removed, total);
  EXPECT_TRUE(Files(dir).empty());
  EXPECT_TRUE(std::filesystem::exists(cache + "/notes.txt")) << "other files are left alone";
  // A directory that does not exist is an empty cache; a bad cap is named.
  sources.clear();
  EXPECT_EQ(lutra_cache_list((dir / "none").c_str(), &CountEntry, &sources, &total, nullptr),
            LUTRA_STATUS_OK);
  EXPECT_EQ(total, 0u);
  setenv("LUTRA_CACHE_MAX", "12X", 1);
  EXPECT_EQ(lutra_cache_list(cache.c_str(), nullptr, nullptr, nullptr, nullptr),
            LUTRA_STATUS_INVALID_ARGUMENT);
  EXPECT_NE(std::string(lutra_last_error()).find("LUTRA_CACHE_MAX=12X"), std::string::npos);
  unsetenv("LUTRA_CACHE_MAX");
}

}  // namespace
}  // namespace lutra::testing
