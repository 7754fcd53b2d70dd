// Malformed-file corpus generated here: every case must return an error naming the problem,
// never crash or read out of bounds (buffers are exact-size heap copies so ASan sees overreads).
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/src/gguf/reader.h"

namespace lutra::gguf {
namespace {

// Minimal independent encoder: the byte layout is built by hand, not with our Writer, so
// each field's offset is known to the test.
struct Bytes {
  std::vector<uint8_t> b;
  template <typename T>
  size_t put(T v) {
    const size_t at = b.size();
    b.resize(at + sizeof v);
    std::memcpy(b.data() + at, &v, sizeof v);
    return at;
  }
  size_t str(const std::string& s) {
    const size_t at = put<uint64_t>(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return at;
  }
  template <typename T>
  void patch(size_t at, T v) {
    std::memcpy(b.data() + at, &v, sizeof v);
  }
};

struct Layout {
  Bytes f;
  size_t n_tensors_at, n_kv_at, str_len_at, arr_len_at, t1_ndims_at, t1_dim0_at, t1_type_at,
      t1_off_at, t2_off_at, kv_end, ti_end, data_start;
};

// Header, 3 keys (string, string array, u32), 2 F32 tensors of 8 and 4 elements.
Layout good() {
  Layout l;
  Bytes& f = l.f;
  f.put<uint32_t>(0x46554747);
  f.put<uint32_t>(3);
  l.n_tensors_at = f.put<uint64_t>(2);
  l.n_kv_at = f.put<uint64_t>(3);
  f.str("general.architecture");
  f.put<uint32_t>(8);
  l.str_len_at = f.str("llama");
  f.str("tokenizer.ggml.tokens");
  f.put<uint32_t>(9);
  f.put<uint32_t>(8);
  l.arr_len_at = f.put<uint64_t>(2);
  f.str("a");
  f.str("b");
  f.str("llama.block_count");
  f.put<uint32_t>(4);
  f.put<uint32_t>(1);
  l.kv_end = f.b.size();
  f.str("t1");
  l.t1_ndims_at = f.put<uint32_t>(2);
  l.t1_dim0_at = f.put<uint64_t>(4);
  f.put<uint64_t>(2);
  l.t1_type_at = f.put<uint32_t>(0);
  l.t1_off_at = f.put<uint64_t>(0);
  f.str("t2");
  f.put<uint32_t>(1);
  f.put<uint64_t>(4);
  f.put<uint32_t>(0);
  l.t2_off_at = f.put<uint64_t>(32);
  l.ti_end = f.b.size();
  f.b.resize((f.b.size() + 31) / 32 * 32, 0);
  l.data_start = f.b.size();
  f.b.resize(f.b.size() + 32 + 16, 0x3f);
  return l;
}

Expected<File> parse(const std::vector<uint8_t>& b) {
  // Exact-size allocation so any read past the end is a heap overflow under ASan.
  std::unique_ptr<uint8_t[]> copy(new uint8_t[b.size() + 1]);
  if (!b.empty()) std::memcpy(copy.get(), b.data(), b.size());
  auto r = File::parse(copy.get(), b.size(), "corpus.gguf");
  // Parsed views point into `copy`; the tests only look at errors or scalar facts.
  return r;
}

void expect_error(const std::vector<uint8_t>& b, const std::string& needle) {
  auto r = parse(b);
  ASSERT_FALSE(r.ok()) << "expected error containing: " << needle;
  EXPECT_NE(r.error().find(needle), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("corpus.gguf: offset "), std::string::npos) << r.error();
}

TEST(GgufMalformed, GoodBaselineParses) {
  auto r = parse(good().f.b);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->tensors().size(), 2u);
  EXPECT_EQ(*r->get_u32("llama.block_count"), 1u);
}

TEST(GgufMalformed, TruncationAtEveryByteNeverCrashes) {
  const Layout l = good();
  // Every prefix shorter than the end of the last tensor's data is invalid.
  const size_t end_of_data = l.data_start + 48;
  for (size_t n = 0; n < end_of_data; ++n) {
    std::vector<uint8_t> b(l.f.b.begin(), l.f.b.begin() + static_cast<long>(n));
    auto r = parse(b);
    EXPECT_FALSE(r.ok()) << "prefix " << n;
  }
  for (size_t n : {size_t{0}, size_t{3}, l.kv_end, l.ti_end}) {
    std::vector<uint8_t> b(l.f.b.begin(), l.f.b.begin() + static_cast<long>(n));
    expect_error(b, "truncated file");
  }
}

TEST(GgufMalformed, RandomCorruptionNeverCrashes) {
  const Layout l = good();
  std::mt19937 rng(1234);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> b = l.f.b;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    if (rng() % 2) b.resize(rng() % (b.size() + 1));
    (void)parse(b);
  }
}

TEST(GgufMalformed, EachDefectGivesItsError) {
  {
    Layout l = good();
    l.f.patch<uint32_t>(0, 0x12345678);
    expect_error(l.f.b, "bad magic");
  }
  {
    Layout l = good();
    l.f.patch<uint32_t>(4, 1);
    expect_error(l.f.b, "unsupported GGUF version 1");
  }
  {
    Layout l = good();
    l.f.patch<uint64_t>(l.n_tensors_at, ~0ull);
    expect_error(l.f.b, "tensor count 18446744073709551615");
  }
  {
    Layout l = good();
    l.f.patch<uint64_t>(l.n_kv_at, ~0ull - 3);
    expect_error(l.f.b, "key/value count");
  }
  {
    Layout l = good();
    l.f.patch<uint64_t>(l.str_len_at, ~0ull - 1);
    expect_error(l.f.b, "string value of key 'general.architecture' length");
  }
  {
    Layout l = good();
    l.f.patch<uint64_t>(l.arr_len_at, 1ull << 62);
    expect_error(l.f.b, "key 'tokenizer.ggml.tokens': array length");
  }
  {
    Layout l = good();
    l.f.patch<uint32_t>(l.t1_type_at, 4);
    expect_error(l.f.b, "tensor 't1': unknown tensor type 4");
  }
  {
    Layout l = good();
    l.f.patch<uint32_t>(l.t1_type_at, 99);
    expect_error(l.f.b, "tensor 't1': unknown tensor type 99");
  }
  {
    Layout l = good();
    l.f.patch<uint64_t>(l.t1_dim0_at, 0);
    expect_error(l.f.b, "tensor 't1': dimension 0 is zero");
  }
  {
    Layout l = good();
    l.f.patch<uint64_t>(l.t1_dim0_at, 1ull << 63);
    expect_error(l.f.b, "tensor 't1': element count overflows");
  }
  {
    Layout l = good();
    l.f.patch<uint32_t>(l.t1_ndims_at, 5);
    expect_error(l.f.b, "tensor 't1': dimension count 5");
  }
  {
    Layout l = good();
    l.f.patch<uint64_t>(l.t2_off_at, 16);
    expect_error(l.f.b, "tensor 't2': data offset 16 is not a multiple of the alignment 32");
  }
  {
    Layout l = good();
    l.f.patch<uint64_t>(l.t2_off_at, 0);
    expect_error(l.f.b, "overlaps tensor");
  }
  {
    Layout l = good();
    l.f.patch<uint64_t>(l.t2_off_at, 1ull << 60);
    expect_error(l.f.b, "tensor 't2': data [");
  }
  {
    Layout l = good();
    l.f.b.resize(l.data_start + 40);  // t2 needs bytes [32, 48)
    expect_error(l.f.b, "lies outside the data section");
  }
}

}  // namespace
}  // namespace lutra::gguf
