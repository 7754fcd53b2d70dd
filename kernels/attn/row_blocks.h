// Row blocking shared by the attn kernel files: kernels keep a compile-time number of query
// rows in registers, so `rows` is covered by full blocks of `Block` rows and one tail block of
// the remaining 1..Block−1, each a separate instantiation. Plain C++, no ISA code.
#pragma once

#include <cstddef>
#include <type_traits>

namespace lutra::kernels::attn {

template <size_t R>
using RowCount = std::integral_constant<size_t, R>;

namespace detail {
template <size_t R, typename Fn>
inline void CallTail(size_t left, size_t r, Fn& fn) {
  if constexpr (R > 0) {
    if (left == R) return fn(RowCount<R>{}, r);
    CallTail<R - 1>(left, r, fn);
  }
}
}  // namespace detail

// Calls fn(RowCount<R>{}, first_row) for consecutive blocks of rows: R = Block while full
// blocks remain, then R = rows % Block once. fn reads R as decltype(R)::value.
template <size_t Block, typename Fn>
inline void ForRowBlocks(size_t rows, Fn&& fn) {
  size_t r = 0;
  for (; r + Block <= rows; r += Block) fn(RowCount<Block>{}, r);
  detail::CallTail<Block - 1>(rows - r, r, fn);
}

}  // namespace lutra::kernels::attn
