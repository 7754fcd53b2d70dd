// Memory read bandwidth of this machine, measured the way decoding uses memory: `threads`
// threads each streaming their share of a buffer far larger than the last-level cache.
#pragma once

#include <cstddef>

namespace lutra::tools {

// Best of `repetitions` passes, in bytes per second.
double MeasureReadBandwidth(size_t threads, size_t buffer_bytes = size_t(512) << 20,
                            int repetitions = 3);

}  // namespace lutra::tools
