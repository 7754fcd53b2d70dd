// The per-(row, group) arrays of a packed matrix (scale, bias, zero), shared by every pack
// variant: they are 1/G of the codes and plain copies, so one portable loop serves all ISAs.
#pragma once

#include "kernels/packw/packw.h"

namespace lutra::kernels::packw {

// Fills out.scale, out.bias and (asymmetric shapes) out.zero in tile order, padded rows zero.
void PackScales(const Shape& s, const Unpacked& in, const PackedMut& out);

}  // namespace lutra::kernels::packw
