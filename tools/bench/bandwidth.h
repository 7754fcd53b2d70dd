// Memory read bandwidth of this machine, measured the way decoding uses memory: `threads`
// threads each streaming their share of a buffer the size of what one decode step reads.
#pragma once

#include <cstddef>
#include <cstdint>

namespace lutra::tools {

// The buffer the roofline's reference reads for a decode step of `step_bytes` on a machine
// whose last-level cache holds `llc_bytes` (0: unknown). See bandwidth.cc for why.
size_t ReferenceBufferBytes(uint64_t step_bytes, uint64_t llc_bytes);

// The best of at least `repetitions` timed reads of a `buffer_bytes` buffer (in transparent huge
// pages), more while under 0.1 s has been spent timing, in bytes per second; 0 when the buffer
// cannot be allocated. A small buffer is read over and over within one timing, so the figure
// does not measure thread start-up.
double MeasureReadBandwidth(size_t threads, size_t buffer_bytes, int repetitions = 3);

}  // namespace lutra::tools
