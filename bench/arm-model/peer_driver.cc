// The peer side of the ARM cycle model: llama.cpp's (ggml's) CPU dot products for the formats
// lutra reads, one M×K decode GEMV per call, the same shape as lutra-arm-model. run.sh compiles
// ggml's own sources next to this file (nothing of ggml is copied here) twice: for
// armv8.2-a+dotprod (Pi 5, phones) and armv8-a (Pi 4).
//
//   peer-arm-model list
//   peer-arm-model run NAME REPS
//
// ggml multiplies with activations quantized to q8_K (TQ*, Q2_K..Q6_K, IQ4_XS) or q8_0 (Q4_0,
// Q5_0, Q8_0, IQ4_NL)
// by the caller; that quantization is per token, outside the GEMV, as lutra's table build is.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

extern "C" {
void ggml_vec_dot_tq2_0_q8_K(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void ggml_vec_dot_tq1_0_q8_K(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void ggml_vec_dot_q4_0_q8_0(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void ggml_vec_dot_q8_0_q8_0(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void ggml_vec_dot_q4_K_q8_K(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void ggml_vec_dot_q6_K_q8_K(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void ggml_vec_dot_q5_K_q8_K(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void ggml_vec_dot_q3_K_q8_K(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void ggml_vec_dot_q2_K_q8_K(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void ggml_vec_dot_q5_0_q8_0(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void ggml_vec_dot_iq4_nl_q8_0(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void ggml_vec_dot_iq4_xs_q8_K(int, float*, size_t, const void*, size_t, const void*, size_t, int);
// ggml_gemv_q4_0_4x4_q8_0 cut out of ggml-cpu-aarch64.cpp by run.sh (a no-op in the armv8-a
// build, which lists no such case).
void peer_gemv_q4_0_4x4(int n, float* s, const void* vx, const void* vy, int nc);
extern const int peer_has_q4_0_4x4;
}

namespace {

size_t EnvSize(const char* name, size_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::strtoul(v, nullptr, 10) : fallback;
}

std::vector<uint8_t> Random(size_t n) {
  std::vector<uint8_t> v(n + 64);
  uint32_t s = 12345;
  for (auto& b : v) b = uint8_t((s = s * 1664525u + 1013904223u) >> 24);
  return v;
}

// fp16 1.0 in every `stride`-byte record at `off`: keeps the scales finite.
void SetHalf(std::vector<uint8_t>& v, size_t records, size_t stride, size_t off, int count) {
  for (size_t r = 0; r < records; ++r) {
    for (int c = 0; c < count; ++c) {
      v[r * stride + off + 2 * c] = 0x00;
      v[r * stride + off + 2 * c + 1] = 0x3c;
    }
  }
}

using VecDot = void (*)(int, float*, size_t, const void*, size_t, const void*, size_t, int);

struct Peer {
  const char* name;
  size_t block, block_bytes;  // weights per block, bytes per block
  size_t act_block, act_bytes;
  size_t scale_off;  // offset of the fp16 scale(s) in a weight block
  int scales;
  VecDot dot;  // null: the 4x4 repack GEMV
};

const Peer kPeers[] = {
    {"ggml_tq2_0", 256, 66, 256, 292, 64, 1, ggml_vec_dot_tq2_0_q8_K},
    {"ggml_tq1_0", 256, 54, 256, 292, 52, 1, ggml_vec_dot_tq1_0_q8_K},
    {"ggml_q4_0", 32, 18, 32, 34, 0, 1, ggml_vec_dot_q4_0_q8_0},
    {"ggml_q4_0x4", 32, 18, 32, 34, 0, 4, nullptr},
    {"ggml_q4_K", 256, 144, 256, 292, 0, 2, ggml_vec_dot_q4_K_q8_K},
    {"ggml_q6_K", 256, 210, 256, 292, 208, 1, ggml_vec_dot_q6_K_q8_K},
    {"ggml_q8_0", 32, 34, 32, 34, 0, 1, ggml_vec_dot_q8_0_q8_0},
    {"ggml_q5_K", 256, 176, 256, 292, 0, 2, ggml_vec_dot_q5_K_q8_K},
    {"ggml_q3_K", 256, 110, 256, 292, 108, 1, ggml_vec_dot_q3_K_q8_K},
    {"ggml_q2_K", 256, 84, 256, 292, 80, 2, ggml_vec_dot_q2_K_q8_K},
    {"ggml_q5_0", 32, 22, 32, 34, 0, 1, ggml_vec_dot_q5_0_q8_0},
    {"ggml_iq4_nl", 32, 18, 32, 34, 0, 1, ggml_vec_dot_iq4_nl_q8_0},
    {"ggml_iq4_xs", 256, 136, 256, 292, 0, 1, ggml_vec_dot_iq4_xs_q8_K},
};

}  // namespace

int main(int argc, char** argv) {
  const size_t m = EnvSize("LUTRA_ARM_MODEL_M", 1024), k = EnvSize("LUTRA_ARM_MODEL_K", 4096);
  if (argc >= 2 && !std::strcmp(argv[1], "list")) {
    for (const Peer& p : kPeers) {
      if (p.dot == nullptr && !peer_has_q4_0_4x4) continue;
      std::printf("%s\t%s\tweight\t%zu\t%.6f\n", p.name, p.dot ? "-" : "dotprod", m * k,
                  double(p.block_bytes) / double(p.block));
    }
    return 0;
  }
  if (argc < 4 || std::strcmp(argv[1], "run")) {
    std::fprintf(stderr, "usage: %s list | run NAME REPS\n", argv[0]);
    return 2;
  }
  const long reps = std::strtol(argv[3], nullptr, 10);
  for (const Peer& p : kPeers) {
    if (std::strcmp(p.name, argv[2])) continue;
    const size_t nb = k / p.block, wrow = nb * p.block_bytes;
    auto w = Random(wrow * m), a = Random(k / p.act_block * p.act_bytes);
    std::vector<float> y(m);
    if (p.act_block == 256) {  // block_q8_K: float d, int8 qs[256], int16 bsums[16]
      for (size_t b = 0; b < k / 256; ++b) std::memcpy(&a[b * 292], "\x00\x00\x80\x3f", 4);
    } else {  // block_q8_0: fp16 d, int8 qs[32]
      SetHalf(a, k / 32, 34, 0, 1);
    }
    if (p.dot == nullptr) {  // block_q4_0x4: 4 fp16 scales, 64 quant bytes
      SetHalf(w, m / 4 * nb, 72, 0, 4);
      for (long r = 0; r < reps; ++r)
        peer_gemv_q4_0_4x4(int(k), y.data(), w.data(), a.data(), int(m));
    } else {
      SetHalf(w, m * nb, p.block_bytes, p.scale_off, p.scales);
      for (long r = 0; r < reps; ++r) {
        for (size_t row = 0; row < m; ++row)
          p.dot(int(k), &y[row], 0, &w[row * wrow], 0, a.data(), 0, 1);
      }
    }
    return 0;
  }
  std::fprintf(stderr, "unknown case %s\n", argv[2]);
  return 2;
}
