// HugePageArena: what it hands out is aligned, zeroed, disjoint and writable, outlives the
// arena, and large requests do not disturb the current chunk. Whether the kernel backs the
// chunks with huge pages is the kernel's choice (the benchmarks show the effect), so it is
// reported, not asserted.
#include "engine/src/memory/huge_page_arena.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/src/linear/lut_matrix.h"

namespace lutra::engine::memory {
namespace {

bool AllZero(const uint8_t* p, size_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

TEST(HugePageArena, AlignedZeroedDisjoint) {
  HugePageArena arena(size_t{4} << 20);
  std::vector<std::pair<std::shared_ptr<uint8_t>, size_t>> blocks;
  // Odd sizes, a few spilling into the next chunk.
  for (size_t bytes : {1, 63, 64, 65, 1000, 1 << 20, 3 << 20, 5, 2 << 20, 777}) {
    auto p = arena.Allocate(bytes);
    ASSERT_NE(p, nullptr) << bytes;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p.get()) % 64, 0u) << bytes;
    EXPECT_TRUE(AllZero(p.get(), bytes)) << bytes;
    blocks.emplace_back(std::move(p), bytes);
  }
  // Fill each block with its index, then check none was overwritten by another.
  for (size_t i = 0; i < blocks.size(); ++i) {
    std::memset(blocks[i].first.get(), int(i + 1), blocks[i].second);
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    const uint8_t* p = blocks[i].first.get();
    EXPECT_TRUE(std::all_of(p, p + blocks[i].second, [&](uint8_t b) { return b == i + 1; }))
        << "block " << i << " was overwritten";
  }
  EXPECT_GE(arena.mapped_bytes(), size_t{4} << 20);
}

TEST(HugePageArena, LargeRequestGetsItsOwnChunk) {
  HugePageArena arena(size_t{2} << 20);
  auto small = arena.Allocate(1024);
  auto large = arena.Allocate(size_t{5} << 20);  // larger than a chunk
  auto next = arena.Allocate(1024);              // still from the first chunk
  ASSERT_TRUE(small && large && next);
  EXPECT_EQ(next.get(), small.get() + 1024);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(large.get()) % kHugePageBytes, 0u);
  EXPECT_EQ(arena.mapped_bytes(), (size_t{2} << 20) + (size_t{6} << 20));
  large.get()[(size_t{5} << 20) - 1] = 1;  // the whole request is writable
}

// Sizes whose rounding to 64 bytes or 2 MiB would wrap around are refused, not mapped small.
TEST(HugePageArena, RefusesSizesThatWouldWrap) {
  HugePageArena arena;
  for (size_t bytes : {SIZE_MAX, SIZE_MAX - 63, SIZE_MAX - kHugePageBytes}) {
    EXPECT_EQ(arena.Allocate(bytes), nullptr) << bytes;
    EXPECT_EQ(AllocateHugePageBacked(bytes), nullptr) << bytes;
  }
  EXPECT_NE(arena.Allocate(64), nullptr);  // the arena still works
}

TEST(HugePageArena, MemoryOutlivesTheArena) {
  std::shared_ptr<uint8_t> kept;
  {
    HugePageArena arena;
    kept = arena.Allocate(4096);
    std::memset(kept.get(), 0x5a, 4096);
  }
  EXPECT_TRUE(std::all_of(kept.get(), kept.get() + 4096, [](uint8_t b) { return b == 0x5a; }));
}

TEST(HugePageArena, ReportsWhetherTheKernelUsedHugePages) {
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string mode;
  std::getline(thp, mode);
  auto p = AllocateHugePageBacked(size_t{8} << 20);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p.get()) % kHugePageBytes, 0u);
  std::memset(p.get(), 1, size_t{8} << 20);
  std::printf("transparent huge pages: %s\n", mode.empty() ? "(unknown)" : mode.c_str());
}

// AlignedBytes from an arena: zeroed, sized, and movable like heap storage.
TEST(HugePageArena, AlignedBytesFromTheArena) {
  HugePageArena arena;
  linear::AlignedBytes huge(100, arena);
  EXPECT_EQ(huge.size(), 100u);
  EXPECT_TRUE(AllZero(huge.data(), 100));
  linear::AlignedBytes moved = std::move(huge);
  EXPECT_EQ(moved.size(), 100u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(moved.data()) % 64, 0u);
}

}  // namespace
}  // namespace lutra::engine::memory
