// Declarations of every packw variant (registry.cc and tests only).
#pragma once

#include "kernels/packw/packw.h"

namespace lutra::kernels::packw {

void pack_32x4__scalar(const Shape& shape, const Unpacked& in, const PackedMut& out);
void unpack_32x4__scalar(const Shape& shape, const Packed& in, const UnpackedMut& out);

}  // namespace lutra::kernels::packw
