// The rest of ggml's block formats the runtime reads, decoded to fp32: the legacy Q4_1, Q5_0,
// Q5_1, the k-quants Q2_K..Q6_K (what most GGUF files on model hubs hold: Q4_K_M mixes Q4_K
// and Q6_K) and the non-linear IQ4_NL, IQ4_XS. Layouts (little-endian; d, dmin, m are fp16):
//   Q4_1  32 weights, 20 bytes: d, m, qs[16];          w = d·q + m, q as in Q4_0
//   Q5_0  32 weights, 22 bytes: d, qh[4], qs[16];      w = d·(q − 16); q's bit 4 for weight j
//         is bit j of the 32-bit qh, its low bits as in Q4_0
//   Q5_1  32 weights, 24 bytes: d, m, qh[4], qs[16];   w = d·q + m, q as in Q5_0
//   Q2_K  256 weights, 84 bytes: sc[16], qs[64], d, dmin. 16 sub-blocks of 16 weights, sc low
//         nibble the scale, high nibble the min: w = d·(sc & 15)·q − dmin·(sc >> 4). Each half
//         of 128 weights takes 32 bytes of qs; its weight 32·s + l (s = 0..3, l < 32) is bits
//         2s..2s+1 of byte l.
//   Q3_K  256 weights, 110 bytes: hmask[32], qs[64], sc[12], d. 16 sub-blocks of 16 weights
//         with 6-bit scales: w = d·(scale − 32)·(q − 4·(1 − high bit)), q's low 2 bits as in
//         Q2_K, the high bit of weight 32·s + l of half h in bit 4h + s of hmask[l]. Scale j:
//         low 4 bits from nibble (j / 8) of sc[j % 8], high 2 bits from bits 2·(j / 4)..+1 of
//         sc[8 + j % 4].
//   Q4_K  256 weights, 144 bytes: d, dmin, sc[12], qs[128]. 8 sub-blocks of 32 weights with
//         6-bit scale and min: w = d·scale·q − dmin·min. Sub-blocks 2i and 2i + 1 are the low
//         and high nibbles of qs[32i..32i+32). Scale/min j < 4: sc[j] & 63 / sc[j + 4] & 63;
//         j ≥ 4: (sc[j + 4] & 15) | (sc[j − 4] >> 6) << 4 / (sc[j + 4] >> 4) | (sc[j] >> 6) << 4.
//   Q5_K  256 weights, 176 bytes: d, dmin, sc[12], qh[32], qs[128]. Q4_K plus a fifth bit:
//         for sub-block j, bit j of qh[l] is bit 4 of its weight l.
//   Q6_K  256 weights, 210 bytes: ql[128], qh[64], sc[16] (int8), d. 16 sub-blocks of 16:
//         w = d·sc·(q − 32). Each half of 128 weights takes 64 bytes of ql and 32 of qh; its
//         weight 32·s + l (s = 0..3, l < 32) has low bits from ql[l + 32·(s & 1)] (low nibble
//         for s < 2, high for s ≥ 2) and high bits 2s..2s+1 of qh[l].
//   IQ4_NL  32 weights, 18 bytes: d, qs[16];           w = d·v[q], q as in Q4_0, v the 16
//         values −127, −104, −83, −65, −49, −35, −22, −10, 1, 13, 25, 38, 53, 69, 89, 113
//   IQ4_XS  256 weights, 136 bytes: d, uint16 scales_h, scales_l[4], qs[128]. 8 sub-blocks of
//         32: w = d·(ls − 32)·v[q], q as in IQ4_NL from sub-block j's qs[16j..16j+16); ls of
//         sub-block j: nibble j % 2 of scales_l[j / 2] | bits 2j..2j+1 of scales_h << 4.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/src/gguf/types.h"

namespace lutra::engine::formats {

// Weights and bytes per block of the formats above; {0, 0} for any other type.
struct KQuantFormat {
  uint32_t weights = 0;
  uint32_t bytes = 0;
  // Byte offsets of the block's fp16 scale fields (d, and dmin or m where the format has one);
  // the second is SIZE_MAX when there is none.
  size_t fp16_fields[2] = {SIZE_MAX, SIZE_MAX};
};
KQuantFormat KQuantFormatOf(gguf::TensorType type);

// Decodes `blocks` consecutive blocks of one of the formats above to fp32.
void DecodeKQuantBlocks(gguf::TensorType type, const uint8_t* src, size_t blocks, float* out);

// Every format above, and Q8_0, as integer codes: w = scale·q − min with q an int8 and, per
// sub-block of CodeBlock(type) weights (32; 16 for Q2_K, Q3_K, Q6_K), an fp32 scale and min,
// both exact (an fp16 times a small integer). Codes: Q8_0 [−128, 127], Q6_K [−32, 31], Q5_0
// [−16, 15], Q3_K [−4, 3], Q4_1/Q4_K [0, 15], Q5_1/Q5_K [0, 31], Q2_K [0, 3], IQ4_NL/IQ4_XS
// the codebook values v[q] ∈ [−127, 113]. The min is
// zero unless CodesHaveMin(type). The LUT packer takes Q4_1/Q4_K this way, the q8block path
// the rest.
uint32_t CodeBlock(gguf::TensorType type);  // 0 for any other type
bool CodesHaveMin(gguf::TensorType type);
// `blocks` whole blocks of the format: codes[blocks·weights], scales and mins
// [blocks·weights / CodeBlock(type)].
void DecodeKQuantCodes(gguf::TensorType type, const uint8_t* src, size_t blocks, int8_t* codes,
                       float* scales, float* mins);

}  // namespace lutra::engine::formats
