// What a family's kernel list (kernels/<family>/kernels.inc) needs to turn its lines into
// declarations and registry entries: per ISA token of a list line, its level (arch/isa.h) and
// its compile guard, written once here.
//
// ISA tokens: SCALAR, AVX2, AVX512, AVX512VBMI, AVX512VNNI, AVX512ICL, AVX512BF16, NEON (AArch64
// and ARMv7), NEON_A64 (AArch64 only), NEON_A32 (ARMv7 only), DOTPROD, RVV.
//
// LUTRA_IF_ISA(isa, ...) expands to the arguments when that ISA's group is compiled in
// (LUTRA_HAVE_<GROUP>, cmake/LutraIsa.cmake, plus the target architecture for NEON_A64 and
// NEON_A32), else to nothing; LUTRA_ISA_LEVEL(isa) is the IsaSet a variant of it requires.
#pragma once

#include <type_traits>

#include "arch/isa.h"

#define LUTRA_IF_ISA(isa, ...) LUTRA_IF_##isa(__VA_ARGS__)
#define LUTRA_ISA_LEVEL(isa) LUTRA_LEVEL_##isa

// Declares the function `name` of the function-pointer type Fn (a registry's kernel type).
#define LUTRA_DECLARE_KERNEL(Fn, name) std::remove_pointer_t<Fn> name;

#define LUTRA_IF_SCALAR(...) __VA_ARGS__
#define LUTRA_LEVEL_SCALAR ::lutra::arch::kLevelScalar

#if LUTRA_HAVE_AVX2
#define LUTRA_IF_AVX2(...) __VA_ARGS__
#else
#define LUTRA_IF_AVX2(...)
#endif
#define LUTRA_LEVEL_AVX2 ::lutra::arch::kLevelAVX2

#if LUTRA_HAVE_AVX512
#define LUTRA_IF_AVX512(...) __VA_ARGS__
#else
#define LUTRA_IF_AVX512(...)
#endif
#define LUTRA_LEVEL_AVX512 ::lutra::arch::kLevelAVX512

#if LUTRA_HAVE_AVX512VBMI
#define LUTRA_IF_AVX512VBMI(...) __VA_ARGS__
#else
#define LUTRA_IF_AVX512VBMI(...)
#endif
#define LUTRA_LEVEL_AVX512VBMI ::lutra::arch::kLevelAVX512VBMI

#if LUTRA_HAVE_AVX512VNNI
#define LUTRA_IF_AVX512VNNI(...) __VA_ARGS__
#else
#define LUTRA_IF_AVX512VNNI(...)
#endif
#define LUTRA_LEVEL_AVX512VNNI ::lutra::arch::kLevelAVX512VNNI

#if LUTRA_HAVE_AVX512ICL
#define LUTRA_IF_AVX512ICL(...) __VA_ARGS__
#else
#define LUTRA_IF_AVX512ICL(...)
#endif
#define LUTRA_LEVEL_AVX512ICL ::lutra::arch::kLevelAVX512ICL

#if LUTRA_HAVE_AVX512BF16
#define LUTRA_IF_AVX512BF16(...) __VA_ARGS__
#else
#define LUTRA_IF_AVX512BF16(...)
#endif
#define LUTRA_LEVEL_AVX512BF16 ::lutra::arch::kLevelAVX512BF16

#if LUTRA_HAVE_NEON
#define LUTRA_IF_NEON(...) __VA_ARGS__
#else
#define LUTRA_IF_NEON(...)
#endif
#define LUTRA_LEVEL_NEON ::lutra::arch::kLevelNEON

// NEON variants that exist on one architecture only (register file, AArch64-only instructions).
#if LUTRA_HAVE_NEON && defined(__aarch64__)
#define LUTRA_IF_NEON_A64(...) __VA_ARGS__
#else
#define LUTRA_IF_NEON_A64(...)
#endif
#define LUTRA_LEVEL_NEON_A64 ::lutra::arch::kLevelNEON

#if LUTRA_HAVE_NEON && !defined(__aarch64__)
#define LUTRA_IF_NEON_A32(...) __VA_ARGS__
#else
#define LUTRA_IF_NEON_A32(...)
#endif
#define LUTRA_LEVEL_NEON_A32 ::lutra::arch::kLevelNEON

#if LUTRA_HAVE_DOTPROD
#define LUTRA_IF_DOTPROD(...) __VA_ARGS__
#else
#define LUTRA_IF_DOTPROD(...)
#endif
#define LUTRA_LEVEL_DOTPROD ::lutra::arch::kLevelDOTPROD

#if LUTRA_HAVE_RVV
#define LUTRA_IF_RVV(...) __VA_ARGS__
#else
#define LUTRA_IF_RVV(...)
#endif
#define LUTRA_LEVEL_RVV ::lutra::arch::kLevelRVV
